"""Make PASCAL-Context-59 label maps and split lists from the official
``trainval_merged.json`` (no Detail API needed).

    python tools/dataset_converters/pascal_context.py \
        data/VOCdevkit/VOC2010 data/VOCdevkit/trainval_merged.json [--nproc 8]

Reads the JSON (RLE masks, decoded with pycocotools) and checks that every
annotated image is in ``VOC2010/JPEGImages``; writes
``VOC2010/SegmentationClassContext/<stem>.png`` (0 = background, 1..59) and
``VOC2010/ImageSets/SegmentationContext/{train,val}.txt`` — what the
PASCAL-Context-59 configs read.
"""
import argparse

from mmseg_depict.dataset_prep.converters import pascal_context


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('voc2010_root', help='VOCdevkit/VOC2010')
    parser.add_argument('json_path', help='trainval_merged.json')
    parser.add_argument('--nproc', type=int, default=1)
    args = parser.parse_args(argv)
    counts = pascal_context.convert_pascal_context(args.voc2010_root,
                                                   args.json_path, args.nproc)
    print(', '.join(f'{split}: {n} label maps' for split, n in counts.items()))
    note = pascal_context.official_count_note(counts)
    if note:
        print(f'note: {note}')


if __name__ == '__main__':
    main()
