-- Runs once, when the volume is first initialised: one database per service.
CREATE DATABASE rapport_identity OWNER rapport;
CREATE DATABASE rapport_service_orders OWNER rapport;
CREATE DATABASE rapport_loyalty OWNER rapport;
CREATE DATABASE rapport_journey OWNER rapport;
CREATE DATABASE rapport_notifier OWNER rapport;
