"""Open data: datasets built by a job into dated folders, served as files under /open/data/.

Modules: ``datasets`` (the dictionary, licence and rows of each dataset), ``build`` (writing a
dated build and reading the catalogue). Import from this package.
"""

from __future__ import annotations

from citizenvoice.services.opendata.build import BuildResult, build, catalogue, dataset_path
from citizenvoice.services.opendata.datasets import DATASETS, LICENCE, Dataset

__all__ = ["DATASETS", "LICENCE", "BuildResult", "Dataset", "build", "catalogue", "dataset_path"]
