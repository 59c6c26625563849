"""Your own labelled images -> one prepared dataset folder for every head.

Three kinds of export are read:

* **COCO instances JSON** (CVAT, Label Studio, Roboflow): polygons, RLE,
  ``iscrowd``. A category is a thing unless it is named with ``stuff`` or
  has ``"isthing": 0``.
* **labelme** per-image JSON files: ``polygon``, ``rectangle`` and
  ``circle`` shapes; shapes sharing a ``group_id`` and label are one object.
* **label PNGs** already painted (mmseg's format: one class index per pixel,
  255 unlabelled, or another unlabelled value named by ``ignore_index``)
  with a class list, optionally with a validation split of their own:
  semantic only.

Everything is validated before anything is written, and the output is built
in a temporary folder renamed into place at the end: a bad input leaves no
half-written dataset. Masks are decoded by pycocotools (polygons of every
kind, labelme's too, go through ``frPyObjects``).

Overlaps follow one rule: stuff is painted first, then things; within each,
annotations in the order of the file (COCO: by annotation id; labelme: shape
order), a later one over an earlier one. A thing whose pixels are all
covered by later ones is dropped and counted.

Output (``write_dataset``)::

    OUT/images/{train,val}/<name>.<ext>
    OUT/semantic/{train,val}/<name>.png    class index, 255 = unlabelled
    OUT/panoptic/{train,val}/<name>.png    COCO panoptic (RGB segment ids)
    OUT/panoptic_{train,val}.json          COCO panoptic (things first)
    OUT/{train,val}.txt                    image names of each split
    OUT/dataset.json                       classes, things / stuff, palette,
                                           counts, source
"""
from .coco_instances import read_coco_instances
from .label_pngs import read_label_pngs
from .labelme import read_labelme
from .records import (IMAGE_EXTENSIONS, MAX_CLASSES, CustomDatasetError,
                      Export, Region, Sample)
from .writer import (assign_splits, palette_for, read_dataset_meta,
                     write_dataset)

__all__ = [
    'CustomDatasetError', 'Export', 'IMAGE_EXTENSIONS', 'MAX_CLASSES',
    'Region', 'Sample', 'assign_splits', 'palette_for', 'read_coco_instances',
    'read_dataset_meta', 'read_label_pngs', 'read_labelme', 'write_dataset'
]
