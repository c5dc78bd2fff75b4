"""The Brands repository: codes are unique across the platform."""

from __future__ import annotations

import pytest
from identity.domain.errors import DuplicateBrandCode
from identity.domain.organisation import Brand

from tests.contract.identity.conftest import Backend


async def test_a_brand_is_found_by_id_and_by_code(backend: Backend) -> None:
    brand = await backend.add_brand("lumiere")
    async with backend.unit_of_work() as uow:
        assert await uow.brands.get(brand.brand_id) == brand
        assert await uow.brands.by_code("lumiere") == brand
        assert await uow.brands.get("brd_" + "0" * 32) is None
        assert await uow.brands.by_code("nowhere") is None


async def test_a_brand_code_is_taken_once(backend: Backend) -> None:
    first = await backend.add_brand("lumiere")
    with pytest.raises(DuplicateBrandCode):
        async with backend.unit_of_work() as uow:
            await uow.brands.add(Brand.create("lumiere", "Copy"))
    async with backend.unit_of_work() as uow:
        assert await uow.brands.by_code("lumiere") == first
