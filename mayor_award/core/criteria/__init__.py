"""GB/T 19580 as data: each edition is a JSON file here, loaded into Criteria rows by a data migration.

A new edition or a correction is a new file and a new Criteria version, never an edit of an old one.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_edition(filename: str) -> dict:
    return json.loads((HERE / filename).read_text(encoding="utf-8"))


def import_edition(data: dict, *, Criteria, CriteriaCategory, CriteriaItem, ScoringBand, version: int = 1):
    """Create one Criteria version with its categories, items and bands from an edition's data.

    The model classes are passed in, so a migration can call this with its historical models.
    """
    criteria = Criteria.objects.create(
        code=data["standard"]["code"],
        version=version,
        title=data["standard"]["title_zh"],
        total_points=data["summary"]["total_points"],
        note=data["summary"].get("note_en", ""),
    )
    for position, category in enumerate(data["categories"]):
        row = CriteriaCategory.objects.create(
            criteria=criteria,
            code=category["code"],
            name_zh=category["name_zh"],
            name_en=category["name_en"],
            points=category["points"],
            kind=category["kind"],
            position=position,
        )
        CriteriaItem.objects.bulk_create(
            CriteriaItem(
                category=row,
                code=item["code"],
                name_zh=item["name_zh"],
                name_en=item["name_en"],
                points=item["points"],
                kind=item["kind"],
                scope_en=item.get("scope_en", ""),
                position=index,
            )
            for index, item in enumerate(category["items"])
        )
    for kind in ("process", "results"):
        ScoringBand.objects.bulk_create(
            ScoringBand(
                criteria=criteria,
                kind=kind,
                band=band["band"],
                min_percent=band["range_pct"][0],
                max_percent=band["range_pct"][1],
                allowed_percents=band["allowed_pct"],
                text_zh=band["zh"],
                text_en=band["en"],
            )
            for band in data["scoring"][f"{kind}_bands"]
        )
    return criteria
