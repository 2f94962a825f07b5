"""Draw faces, their 5 landmarks and their attributes."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import InstanceData

from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import BaseBoxes
from mmdet.visualization import DetLocalVisualizer
from mmdet.visualization.palette import _get_adaptive_scales
from ..datasets.metainfo import LANDMARK_NAMES, attribute_names
from ..utils.pixel_mapping import to_original_pixels

ColorType = Union[str, Tuple[int, int, int]]


@VISUALIZERS.register_module()
class FaceVisualizer(DetLocalVisualizer):
    """``DetLocalVisualizer`` that also draws landmarks and attributes.

    For every face it draws, on top of mmdet's box and ``face: score``
    label:

    - the 5 landmarks as dots, the image-left points (``left_*`` in
      ``dataset_meta['landmark_names']``) in ``left_color``, the right ones
      in ``right_color``, the others (nose) in ``center_color``; unannotated
      ground-truth points (``keypoints_visible == 0``) are skipped;
    - a text block under the box: for predictions the ``attr_topk`` most
      likely attributes with ``attribute_scores > attr_score_thr``, for the
      ground truth the first ``attr_topk`` attributes labelled 1.

    Predictions (``pred_instances``) are in original-image pixels (the
    data contract). Ground truth is in the pixels of the network input
    (cropped / resized by the pipeline), so when the drawn image is the
    original (its size equals ``ori_shape``, as in mmdet's
    ``DetVisualizationHook``), the ground truth is mapped back with the
    sample's ``scale_factor`` and ``crop_offset`` first.

    Colours are RGB, like the images the visualizer draws on.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        left_color (str | tuple): Colour of the image-left landmarks.
        right_color (str | tuple): Colour of the image-right landmarks.
        center_color (str | tuple): Colour of the other landmarks.
        keypoint_radius (float, optional): Dot radius in pixels; by default
            3% of the face box's side (at least 1.5).
        attr_topk (int): How many attributes to write per face.
        attr_score_thr (float): Minimum predicted probability to write an
            attribute.
        attr_text_color (str | tuple): Colour of the attribute text.
        **kwargs: :class:`DetLocalVisualizer` arguments (``vis_backends``,
            ``save_dir``, ``bbox_color``, ``text_color``, ``line_width``,
            ``alpha``, ...).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 left_color: ColorType = (255, 64, 64),
                 right_color: ColorType = (64, 160, 255),
                 center_color: ColorType = (255, 220, 0),
                 keypoint_radius: Optional[float] = None,
                 attr_topk: int = 5,
                 attr_score_thr: float = 0.5,
                 attr_text_color: ColorType = (255, 255, 255),
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        if attr_topk < 0:
            raise ValueError(f'attr_topk must be >= 0, got {attr_topk}')
        self.left_color = left_color
        self.right_color = right_color
        self.center_color = center_color
        self.keypoint_radius = keypoint_radius
        self.attr_topk = attr_topk
        self.attr_score_thr = attr_score_thr
        self.attr_text_color = attr_text_color

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[DetDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> None:
        """Draw a data sample (ground truth left, prediction right).

        Same arguments as :meth:`DetLocalVisualizer.add_datasample`; only
        the ground truth is first mapped to the drawn image's pixels.
        Boxes are drawn by mmdet, landmarks and attributes by
        :meth:`_draw_instances` of this class.

        Args:
            name (str): Image identifier.
            image (np.ndarray): RGB image to draw on.
            data_sample (DetDataSample, optional): Ground truth and / or
                predictions.
            draw_gt (bool): Draw ``gt_instances``.
            draw_pred (bool): Draw ``pred_instances``.
            show (bool): Show in a window.
            wait_time (float): Seconds to show.
            out_file (str, optional): Save the drawing here instead of to
                the visualizer backends.
            pred_score_thr (float): Minimum face score to draw.
            step (int): Global step for the backends.
        """
        if (data_sample is not None and draw_gt
                and 'gt_instances' in data_sample
                and _is_original_image(image, data_sample.metainfo)):
            data_sample = data_sample.clone()
            data_sample.gt_instances = gt_to_original(data_sample.gt_instances,
                                                      data_sample.metainfo)
        super().add_datasample(
            name,
            image,
            data_sample=data_sample,
            draw_gt=draw_gt,
            draw_pred=draw_pred,
            show=show,
            wait_time=wait_time,
            out_file=out_file,
            pred_score_thr=pred_score_thr,
            step=step)

    def _draw_instances(self, image: np.ndarray, instances: InstanceData,
                        classes: Optional[List[str]],
                        palette: Optional[List[tuple]]) -> np.ndarray:
        """Draw boxes (mmdet), then landmarks and attributes.

        Args:
            image (np.ndarray): RGB image.
            instances (InstanceData): Ground truth or predictions.
            classes (list[str], optional): Class names.
            palette (list[tuple], optional): Class colours.

        Returns:
            np.ndarray: The drawn RGB image.
        """
        instances = _with_tensor_boxes(instances)
        drawn = super()._draw_instances(image, instances, classes, palette)
        if len(instances) == 0 or 'bboxes' not in instances:
            return drawn
        self.set_image(drawn)
        bboxes = instances.bboxes.float()
        texts = self._attribute_texts(instances)
        if texts:
            self._draw_attribute_texts(texts, bboxes, image.shape[:2])
        if 'keypoints' in instances:
            self._draw_keypoints(instances, bboxes)
        return self.get_image()

    def _draw_keypoints(self, instances: InstanceData,
                        bboxes: torch.Tensor) -> None:
        """Coloured dots at the visible landmarks of every face."""
        keypoints = torch.as_tensor(instances.keypoints).float()
        if 'keypoints_visible' in instances:
            visible = torch.as_tensor(instances.keypoints_visible) > 0
        else:
            visible = torch.ones(keypoints.shape[:2], dtype=torch.bool)
        colors = self._keypoint_colors(keypoints.shape[1])
        sides = (bboxes[:, 2:] - bboxes[:, :2]).max(dim=1).values
        for points, shown, side in zip(keypoints, visible, sides):
            if not shown.any():
                continue
            radius = self.keypoint_radius or max(1.5, 0.03 * float(side))
            index = torch.nonzero(shown).flatten().tolist()
            self.draw_circles(
                points[index],
                torch.full((len(index), ), radius),
                edge_colors=[colors[i] for i in index],
                face_colors=[colors[i] for i in index],
                alpha=1.0)
            # Above the text boxes (zorder 3), which may overlap the face.
            self.ax_save.collections[-1].set_zorder(4)

    def _keypoint_colors(self, num: int) -> List[ColorType]:
        """Colour of each landmark from its name's side."""
        names = list(self.dataset_meta.get('landmark_names', LANDMARK_NAMES))
        names += [''] * max(0, num - len(names))
        colors = []
        for name in names[:num]:
            if name.startswith('left'):
                colors.append(self.left_color)
            elif name.startswith('right'):
                colors.append(self.right_color)
            else:
                colors.append(self.center_color)
        return colors

    def _attribute_texts(self, instances: InstanceData) -> List[str]:
        """One text block per face; empty list when nothing to write."""
        if self.attr_topk == 0:
            return []
        if 'attribute_scores' in instances:
            scores = torch.as_tensor(instances.attribute_scores).float()
            names = self._attribute_names(scores.shape[1])
            return [self._predicted_text(row, names) for row in scores]
        if 'attributes' in instances:
            labels = torch.as_tensor(instances.attributes)
            names = self._attribute_names(labels.shape[1])
            return [self._labelled_text(row, names) for row in labels]
        return []

    def _predicted_text(self, scores: torch.Tensor,
                        names: Sequence[str]) -> str:
        order = torch.argsort(scores, descending=True)[:self.attr_topk]
        return '\n'.join(f'{names[i]} {float(scores[i]):.2f}'
                         for i in order.tolist()
                         if scores[i] > self.attr_score_thr)

    def _labelled_text(self, labels: torch.Tensor,
                       names: Sequence[str]) -> str:
        present = torch.nonzero(labels == 1).flatten().tolist()
        lines = [names[i] for i in present[:self.attr_topk]]
        if len(present) > self.attr_topk:
            lines.append(f'(+{len(present) - self.attr_topk} more)')
        return '\n'.join(lines)

    def _attribute_names(self, num: int) -> List[str]:
        """Names from ``dataset_meta``, else CelebA's, else ``attr_{i}``."""
        return attribute_names(self.dataset_meta, num)

    def _draw_attribute_texts(self, texts: List[str], bboxes: torch.Tensor,
                              image_shape: Tuple[int, int]) -> None:
        """Write each face's text beside its box, where it fits."""
        areas = ((bboxes[:, 2] - bboxes[:, 0]) *
                 (bboxes[:, 3] - bboxes[:, 1])).numpy()
        scales = _get_adaptive_scales(areas)
        for text, box, scale in zip(texts, bboxes.tolist(), scales):
            if not text:
                continue
            font_size = max(int(11 * scale), 5)
            position, vertical, horizontal = self._text_anchor(
                text, font_size, box, image_shape)
            self.draw_texts(
                text,
                np.array(position),
                colors=self.attr_text_color,
                font_sizes=font_size,
                vertical_alignments=vertical,
                horizontal_alignments=horizontal,
                bboxes=[{
                    'facecolor': 'black',
                    'alpha': 0.6,
                    'pad': 0.5,
                    'edgecolor': 'none'
                }])

    def _text_anchor(self, text: str, font_size: int, box: List[float],
                     image_shape: Tuple[int, int]) -> tuple:
        """Position and alignments of a text block next to ``box``.

        Tries below, right, left and above the box, in that order, so that
        the text hides neither the face nor the image border; a face that
        fills the image (crop mode) gets the text inside, at its bottom.
        """
        height, width = image_shape
        # matplotlib points at mmengine's 100 dpi are ~1.4 px; a character
        # is about 0.6 em wide, a line 1.25 em high, and the background
        # box pads 0.5 em on each side.
        em = 1.4 * font_size
        lines = text.splitlines()
        text_w = em * (0.6 * max(len(line) for line in lines) + 1)
        text_h = em * (1.25 * len(lines) + 1)
        x1, y1, x2, y2 = box
        gap = self.line_width
        if y2 + gap + text_h <= height:
            return (x1 + gap, y2 + gap), 'top', 'left'
        if x2 + gap + text_w <= width:
            return (x2 + gap, y1), 'top', 'left'
        if x1 - gap - text_w >= 0:
            return (x1 - gap, y1), 'top', 'right'
        if y1 - gap - text_h >= 0:
            return (x1 + gap, y1 - gap), 'bottom', 'left'
        return (x1 + gap, y2 - gap), 'bottom', 'left'


def gt_to_original(instances: InstanceData, meta: dict) -> InstanceData:
    """Map ground truth from network-input pixels to original pixels.

    Undoes the pipeline's resize (``scale_factor``) and crop
    (``crop_offset``); unannotated keypoints stay where they are.

    Args:
        instances (InstanceData): ``gt_instances`` with ``bboxes`` and
            optionally ``keypoints`` / ``keypoints_visible``.
        meta (dict): The sample's metainfo.

    Returns:
        InstanceData: A mapped copy.
    """
    instances = _with_tensor_boxes(instances)
    scale = meta.get('scale_factor', (1., 1.))
    offset = meta.get('crop_offset', (0., 0.))
    if 'bboxes' in instances:
        instances.bboxes = to_original_pixels(instances.bboxes.float(), scale,
                                              offset)
    if 'keypoints' in instances:
        keypoints = torch.as_tensor(instances.keypoints).float()
        mapped = to_original_pixels(keypoints, scale, offset)
        if 'keypoints_visible' in instances:
            visible = torch.as_tensor(instances.keypoints_visible) > 0
            mapped = torch.where(visible[..., None], mapped, keypoints)
        instances.keypoints = mapped
    return instances


def _with_tensor_boxes(instances: InstanceData) -> InstanceData:
    """A CPU copy whose ``bboxes`` is a plain tensor (not ``BaseBoxes``)."""
    instances = instances.clone().cpu()
    if 'bboxes' in instances:
        bboxes = instances.bboxes
        if isinstance(bboxes, BaseBoxes):
            bboxes = bboxes.tensor
        instances.bboxes = torch.as_tensor(bboxes).cpu()
    return instances


def _is_original_image(image: np.ndarray, meta: dict) -> bool:
    """Whether ``image`` is the sample's original (not the network input)."""
    ori_shape = meta.get('ori_shape')
    return ori_shape is not None and tuple(image.shape[:2]) == tuple(
        ori_shape[:2])
