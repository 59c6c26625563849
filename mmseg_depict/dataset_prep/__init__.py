"""Offline preparation of datasets, apart from what training reads: the
converters from downloaded layouts (and own exports) to the layouts our
configs read, the generated datasets of the tests and the quick start
(``synthetic``), the check of a prepared dataset on disk
(``tools/misc/check_dataset.py``) and the config writer for own data.
Nothing here is imported by ``import mmseg_depict``; the tools import the
module they need."""
