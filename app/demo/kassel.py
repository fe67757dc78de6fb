"""The demo municipality: Kassel's 23 Stadtteile with an invented population table.

The population figures are DEMO FIGURES: plausible in size and age structure, not
official statistics. They are marked ``is_demo`` in the database.
"""
from __future__ import annotations

from questionnaires.codebook import AGE_GROUPS

# code, name, residents aged 14+, age profile ("young", "mixed" or "old")
DISTRICTS: tuple[tuple[str, str, int, str], ...] = (
    ("01", "Mitte", 8300, "young"),
    ("02", "Südstadt", 9800, "young"),
    ("03", "Vorderer Westen", 14300, "mixed"),
    ("04", "Wehlheiden", 11900, "mixed"),
    ("05", "Bad Wilhelmshöhe", 11800, "old"),
    ("06", "Brasselsberg", 3500, "old"),
    ("07", "Süsterfeld/Helleböhn", 4800, "mixed"),
    ("08", "Harleshausen", 10600, "old"),
    ("09", "Kirchditmold", 11000, "mixed"),
    ("10", "Rothenditmold", 5600, "mixed"),
    ("11", "Nord (Holland)", 14200, "young"),
    ("12", "Philippinenhof/Warteberg", 5300, "mixed"),
    ("13", "Fasanenhof", 9700, "mixed"),
    ("14", "Wesertor", 7800, "young"),
    ("15", "Wolfsanger/Hasenhecke", 7100, "old"),
    ("16", "Bettenhausen", 8300, "mixed"),
    ("17", "Forstfeld", 7500, "mixed"),
    ("18", "Waldau", 6100, "mixed"),
    ("19", "Niederzwehren", 11400, "mixed"),
    ("20", "Oberzwehren", 9200, "mixed"),
    ("21", "Nordshausen", 4000, "old"),
    ("22", "Jungfernkopf", 3500, "old"),
    ("23", "Unterneustadt", 5100, "young"),
)

AGE_PROFILES: dict[str, tuple[float, ...]] = {
    "young": (0.04, 0.30, 0.27, 0.19, 0.13, 0.07),
    "mixed": (0.05, 0.17, 0.24, 0.24, 0.18, 0.12),
    "old": (0.05, 0.12, 0.19, 0.25, 0.22, 0.17),
}
FEMALE_SHARE = {"14-17": 0.49, "18-29": 0.49, "30-44": 0.49, "45-59": 0.50, "60-74": 0.53,
                "75+": 0.61}


def population_table(residents: int, profile: str) -> dict[tuple[str, str], int]:
    """(gender, age_group) -> residents for one district."""
    cells = {}
    for age_group, share in zip(AGE_GROUPS, AGE_PROFILES[profile]):
        in_group = round(residents * share)
        female = round(in_group * FEMALE_SHARE[age_group])
        cells[("f", age_group)] = female
        cells[("m", age_group)] = in_group - female
    return cells


# Places that residents of a district might name as unsafe (for the free-text demo).
PLACES = {
    "01": ["Königsplatz", "Unterführung am Stern", "Friedrichsplatz nachts"],
    "02": ["Auedamm", "Parkplatz an der Karlsaue"],
    "03": ["Bahnhof Wilhelmshöhe, Unterführung", "Goethestraße spät abends"],
    "11": ["Nordstadtpark", "Holländischer Platz", "Haltestelle Halitplatz"],
    "14": ["Weserspitze", "Fuldaufer unter der Brücke"],
    "16": ["Leipziger Straße an der Tankstelle"],
    "19": ["Bahnhof Niederzwehren", "Park am Hirschgraben"],
    "20": ["Einkaufszentrum Oberzwehren abends"],
    "23": ["Fuldaufer", "Unterneustädter Kirchplatz"],
}
GENERIC_PLACES = ["Bushaltestelle ohne Licht", "Unterführung", "Park nach Einbruch der "
                  "Dunkelheit", "Parkhaus", "Straßenbahnhaltestelle"]

# How much more unsafe residents feel than the city average (latent scale).
DISTRICT_EFFECT = {"01": 0.55, "11": 0.6, "14": 0.5, "16": 0.25, "23": 0.3, "19": 0.15,
                   "20": 0.2, "02": 0.05, "10": 0.25, "06": -0.45, "21": -0.4, "22": -0.35,
                   "05": -0.3, "08": -0.25, "15": -0.2}


# A schematic tile map (not real boundaries): one square per Stadtteil, placed roughly
# where it lies in the city (column west to east, row south to north).
TILES = {
    "08": (0, 4), "22": (1, 4), "12": (2, 4), "13": (3, 4), "15": (4, 4),
    "09": (1, 3), "10": (2, 3), "11": (3, 3), "14": (4, 3),
    "05": (0, 2), "03": (1, 2), "01": (2, 2), "23": (3, 2), "16": (4, 2),
    "06": (0, 1), "04": (1, 1), "02": (2, 1), "17": (3, 1), "18": (4, 1),
    "21": (0, 0), "07": (1, 0), "20": (2, 0), "19": (3, 0),
}


def tile_map_geojson() -> str:
    """GeoJSON of the schematic tile map (marked "schematic": true)."""
    import json

    width, height, west, south = 0.028, 0.0175, 9.40, 51.27
    features = []
    for code, name, _residents, _profile in DISTRICTS:
        column, row = TILES[code]
        x0, y0 = west + column * width, south + row * height
        ring = [[x0, y0], [x0 + width * 0.96, y0], [x0 + width * 0.96, y0 + height * 0.96],
                [x0, y0 + height * 0.96], [x0, y0]]
        features.append({"type": "Feature", "properties": {"code": code, "name": name},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return json.dumps({"type": "FeatureCollection", "schematic": True, "features": features},
                      ensure_ascii=False)
