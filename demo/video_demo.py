"""Paint a model's predictions on every frame of a video.

    python demo/video_demo.py VIDEO CONFIG [CHECKPOINT] [--out OUT.mp4]
        [--device cpu] [--opacity 0.5] [--compile] [--fourcc mp4v] [--fps FPS]

Frames are read with OpenCV, predicted one at a time and painted as in
``image_demo.py``; the painted video goes to a temporary file next to OUT
and is renamed to OUT only when every frame is written.
"""
import argparse
import os
import os.path as osp
import tempfile

import cv2
from mmengine.utils import ProgressBar

from mmseg_depict.apis import Predictor, add_model_arguments
from mmseg_depict.fileio import publish


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file (anything OpenCV reads)')
    add_model_arguments(parser)
    parser.add_argument(
        '--out', default='outputs/demo/video.mp4', help='painted video')
    parser.add_argument(
        '--fourcc', default='mp4v', help='codec of the painted video')
    parser.add_argument(
        '--fps', type=float, help="frame rate (default: the input's)")
    return parser.parse_args(argv)


def open_video(path: str) -> cv2.VideoCapture:
    """A capture that has delivered its first frame, or an error naming
    the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f"video file '{path}' does not exist")
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise ValueError(f"'{path}' is not a video OpenCV can read")
    return capture


def main(argv=None):
    args = parse_args(argv)
    if len(args.fourcc) != 4:
        raise ValueError(f'--fourcc {args.fourcc!r}: expected four '
                         "characters, e.g. 'mp4v'")
    capture = open_video(args.video)
    ok, frame = capture.read()
    if not ok:
        raise ValueError(f"'{args.video}' is not a video OpenCV can read: "
                         'no frame could be decoded')
    predictor = Predictor.from_args(args)
    fps = args.fps or capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    suffix = osp.splitext(args.out)[1] or '.mp4'
    fd, partial = tempfile.mkstemp(
        prefix=f'.{osp.basename(args.out)}.',
        suffix=f'.part{suffix}',
        dir=out_dir)
    os.close(fd)
    height, width = frame.shape[:2]
    writer = cv2.VideoWriter(partial, cv2.VideoWriter_fourcc(*args.fourcc),
                             fps, (width, height))
    frames = 0
    try:
        if not writer.isOpened():
            raise ValueError(f'cannot write {suffix} video with fourcc '
                             f'{args.fourcc!r} to {args.out}')
        progress = ProgressBar(total) if total > 0 else None
        while ok:
            writer.write(predictor.paint(frame, predictor.predict(frame)))
            frames += 1
            if progress and frames <= total:
                progress.update()
            ok, frame = capture.read()
        writer.release()
        publish(partial, args.out)
    finally:
        writer.release()
        capture.release()
        if osp.exists(partial):
            os.remove(partial)
    print(f'\n{frames} frames painted into {args.out}')


if __name__ == '__main__':
    main()
