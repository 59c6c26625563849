"""The parts of mmseg_depict that need only numpy, OpenCV (pyspng, a faster
PNG decoder, where installed) and the standard library: panoptic quality
(:mod:`.panoptic_quality`), folders of panoptic or label PNGs evaluated in
worker processes (:mod:`.panoptic_folders`, :mod:`.semantic_folders`), COCO
panoptic ids (:mod:`.panoptic_ids`) and the allocator setting for processes
that read many images (:mod:`.cpu_memory`).

A package of its own because importing ``mmseg_depict`` registers every
model and so imports torch, mmseg and mmdet (seconds before a file is
read): the offline evaluation tools (``tools/evaluation/``) import this one
alone, and ``mmseg_depict`` re-exports its public names
(``mmseg_depict.evaluation.PQStats``, ``mmseg_depict.utils.id2rgb``, ...).
Nothing here imports ``mmseg_depict``, torch or an OpenMMLab library
(``tests/test_mmseg_depict_light.py``).
"""
