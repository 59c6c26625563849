"""Procedural street scenes with a handful of classes.

The scenes are simple enough for a small ViT to learn on a CPU in minutes,
yet every class needs colour *and* context (sky vs. car roof, grass vs.
tree) to be told apart. Everything is drawn from one ``numpy`` generator, so
a seed fixes the data exactly.
"""
from typing import Tuple

import cv2
import numpy as np

#: Scene classes, in drawing order of the label map.
SCENE_CLASSES = ('sky', 'building', 'tree', 'road', 'grass', 'person', 'car')
SKY, BUILDING, TREE, ROAD, GRASS, PERSON, CAR = range(len(SCENE_CLASSES))
#: Label used for pixels that belong to no class (dataset's "other").
UNLABELLED = 255


def _jitter(rng: np.random.Generator, rgb, amount: int = 20) -> tuple:
    return tuple(
        int(c) for c in np.clip(
            np.asarray(rgb) + rng.integers(-amount, amount + 1, 3), 0, 255))


def _paint(image, label, mask, colour, cls) -> None:
    image[mask] = colour
    label[mask] = cls


def _draw_sky(rng, image, label, horizon: int) -> None:
    top, bottom = _jitter(rng, (70, 130, 220)), _jitter(rng, (170, 200, 240))
    t = np.linspace(0, 1, horizon)[:, None]
    image[:horizon] = (np.asarray(top) * (1 - t) +
                       np.asarray(bottom) * t)[:, None, :]
    label[:horizon] = SKY


def _draw_ground(rng, image, label, horizon: int) -> Tuple[int, int]:
    h, w = label.shape
    _paint(image, label, np.s_[horizon:], _jitter(rng, (60, 150, 60)), GRASS)
    # Grass gets a speckled texture that roads do not have.
    rows = h - horizon
    speckle = rng.integers(-35, 36, (rows, w, 1))
    image[horizon:] = np.clip(image[horizon:].astype(int) + speckle, 0, 255)
    # A road: a trapezoid widening towards the viewer.
    centre = int(rng.integers(w // 4, 3 * w // 4))
    half_far, half_near = int(w * 0.06), int(w * rng.uniform(0.3, 0.5))
    poly = np.array([[centre - half_far, horizon],
                     [centre + half_far, horizon], [centre + half_near, h],
                     [centre - half_near, h]])
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [poly.astype(np.int32)], 1)
    _paint(image, label, mask.astype(bool), _jitter(rng, (90, 90, 95), 10),
           ROAD)
    return centre, half_near


def _draw_buildings(rng, image, label, horizon: int) -> None:
    h, w = label.shape
    for _ in range(int(rng.integers(1, 4))):
        bw = int(rng.integers(w // 6, w // 3))
        x0 = int(rng.integers(0, w - bw))
        y0 = int(rng.integers(max(2, horizon // 5), max(3, horizon - h // 10)))
        colour = _jitter(rng, (150, 110, 90), 30)
        _paint(image, label, np.s_[y0:horizon, x0:x0 + bw], colour, BUILDING)
        # Dark windows in a grid give buildings their texture.
        step = max(6, h // 20)
        window = tuple(max(c - 80, 0) for c in colour)
        for y in range(y0 + step // 2, horizon - step, step):
            for x in range(x0 + step // 2, x0 + bw - step // 2, step):
                image[y:y + step // 2, x:x + step // 2] = window


def _draw_trees(rng, image, label, horizon: int) -> None:
    h, w = label.shape
    for _ in range(int(rng.integers(0, 3))):
        x = int(rng.integers(0, w))
        r = int(rng.integers(h // 14, h // 7))
        base = horizon + int(rng.integers(0, h // 12))
        mask = np.zeros((h, w), np.uint8)
        cv2.rectangle(mask, (x - r // 5, base - 2 * r), (x + r // 5, base), 1,
                      -1)
        trunk = mask.astype(bool)
        _paint(image, label, trunk, _jitter(rng, (100, 70, 40), 10), TREE)
        mask[:] = 0
        cv2.circle(mask, (x, base - 2 * r), r, 1, -1)
        _paint(image, label, mask.astype(bool), _jitter(rng, (20, 90, 30), 15),
               TREE)


def _draw_cars(rng, image, label, road: Tuple[int, int], horizon: int) -> None:
    h, w = label.shape
    centre, half = road
    for _ in range(int(rng.integers(0, 3))):
        cw = int(rng.integers(w // 8, w // 4))
        ch = cw // 2
        cx = int(rng.integers(max(0, centre - half), min(w, centre + half)))
        cy = int(rng.integers(horizon + ch, h))
        mask = np.zeros((h, w), np.uint8)
        cv2.rectangle(mask, (cx - cw // 2, cy - ch),
                      (cx + cw // 2, cy - ch // 4), 1, -1)
        body = rng.choice([(200, 30, 30), (30, 60, 200), (230, 200, 40)])
        _paint(image, label, mask.astype(bool), _jitter(rng, body), CAR)
        mask[:] = 0
        for wx in (cx - cw // 3, cx + cw // 3):
            cv2.circle(mask, (wx, cy - ch // 4), max(2, ch // 4), 1, -1)
        _paint(image, label, mask.astype(bool), (20, 20, 20), CAR)


def _draw_people(rng, image, label, horizon: int) -> None:
    h, w = label.shape
    for _ in range(int(rng.integers(0, 3))):
        ph = int(rng.integers(h // 6, h // 3))
        px = int(rng.integers(0, w))
        py = int(rng.integers(horizon + ph // 3, h))
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (px, py - ph // 3), (max(2, ph // 7), ph // 3), 0, 0,
                    360, 1, -1)
        _paint(image, label, mask.astype(bool), _jitter(rng, (40, 40, 60)),
               PERSON)
        mask[:] = 0
        cv2.circle(mask, (px, py - 2 * ph // 3 - ph // 10), max(2, ph // 9), 1,
                   -1)
        _paint(image, label, mask.astype(bool), _jitter(rng, (225, 180, 150)),
               PERSON)


def render_scene(rng: np.random.Generator, height: int,
                 width: int) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one scene.

    Args:
        rng (np.random.Generator): Source of all randomness.
        height (int): Image height in pixels.
        width (int): Image width in pixels.

    Returns:
        tuple[np.ndarray, np.ndarray]: RGB image (H, W, 3) uint8 and label map
        (H, W) uint8 with indices into :data:`SCENE_CLASSES`, or
        :data:`UNLABELLED` for a thin unannotated border, as real datasets
        have.
    """
    image = np.zeros((height, width, 3), np.uint8)
    label = np.zeros((height, width), np.uint8)
    horizon = int(height * rng.uniform(0.35, 0.6))
    _draw_sky(rng, image, label, horizon)
    road = _draw_ground(rng, image, label, horizon)
    _draw_buildings(rng, image, label, horizon)
    _draw_trees(rng, image, label, horizon)
    _draw_cars(rng, image, label, road, horizon)
    _draw_people(rng, image, label, horizon)
    noise = rng.normal(0, 6, image.shape)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    label[:2], label[-2:], label[:, :2], label[:, -2:] = (UNLABELLED, ) * 4
    return image, label
