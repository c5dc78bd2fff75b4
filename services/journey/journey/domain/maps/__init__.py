"""Journey maps: the document HQ writes, its schema, its compiler and the compiled model.

``model`` is what the engine runs, ``cel`` the condition language, ``schema`` the JSON
Schema the service publishes, ``compiler`` document to model, ``defaults`` the map a new
brand gets. See ``docs/journey-maps.md``.
"""
