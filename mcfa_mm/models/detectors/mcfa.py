"""The MCFA detector: cascade of S_Net, M_Net, L_Net with a multi-task head."""
from typing import Dict, List, Optional, Tuple

from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

PREDICT_MODES = ('crop', 'cascade')


@MODELS.register_module()
class MCFA(BaseDetector):
    """Multi-task cascaded CNN for facial attributes (Zhuang et al., 2018).

    Composes :class:`MCFAPyramidVGG` (backbone), :class:`MCFACascadeNeck`
    (neck) and :class:`MCFAHead` (head). Training takes face crops (and
    mined non-face / part-face crops) at the backbone's ``input_size``.

    Test time has two modes, chosen by ``test_cfg.mode``:

    - ``'crop'``: every input is one face crop; L_Net's box, score,
      landmarks and attributes are returned, mapped back to the original
      image (the CelebA / LFWA attribute benchmarks).
    - ``'cascade'``: whole images; S_Net slides over a pyramid, M_Net and
      L_Net refine the survivors (paper, II-A; see
      :class:`~mcfa_mm.models.detectors.CascadeFaceFinder`).

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config.
        head (dict): Head config.
        train_cfg (dict, optional): Unused; kept for mmdet compatibility.
        test_cfg (dict, optional): ``mode`` plus the cascade's settings.
        data_preprocessor (dict, optional): e.g. ``DetDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.train_cfg = train_cfg
        self.test_cfg = dict(mode='crop')
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['mode'] not in PREDICT_MODES:
            raise ValueError(f"test_cfg.mode must be one of {PREDICT_MODES}, "
                             f"got {self.test_cfg['mode']!r}")

    @property
    def input_size(self) -> int:
        """Side of L_Net's input crop."""
        return self.backbone.input_size

    def extract_feat(self,
                     batch_inputs: Tensor,
                     num_stages: Optional[int] = None) -> Tuple[Tensor, ...]:
        """Shared features of the first ``num_stages`` sub-networks."""
        return self.neck(self.backbone(batch_inputs, num_stages))

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: OptConfigType = None
                 ) -> List[Dict[str, Tensor]]:
        """Raw outputs of every stage (see :meth:`MCFAHead.forward`)."""
        return self.head(self.extract_feat(batch_inputs))

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Joint multi-task loss of the three stages (paper, Eq. 5)."""
        return self.head.loss(self.extract_feat(batch_inputs),
                              batch_data_samples)

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Predict faces, landmarks and attributes.

        Args:
            batch_inputs (Tensor): Preprocessed images ``(B, 3, H, W)``.
            batch_data_samples (list[DetDataSample]): Their data samples.
            rescale (bool): Map results to the original image's pixels.

        Returns:
            list[DetDataSample]: ``pred_instances`` with ``bboxes``,
            ``scores``, ``labels``, ``keypoints`` and ``attribute_scores``.
        """
        metas = [sample.metainfo for sample in batch_data_samples]
        if self.test_cfg['mode'] == 'cascade':
            from .cascade import CascadeFaceFinder
            results = CascadeFaceFinder(self, self.test_cfg).predict(
                batch_inputs, metas)
        else:
            results = self.head.predict(self.extract_feat(batch_inputs), metas)
        if rescale:
            results = [
                to_original_image(result, meta)
                for result, meta in zip(results, metas)
            ]
        return self.add_pred_to_datasample(batch_data_samples, results)

    def dynamic_weights(self) -> Dict[str, Tensor]:
        """Last training step's mean dynamic weights of each stage.

        Returns:
            dict[str, Tensor]: ``{stage: (d,)}``; empty before training.
        """
        return {
            name: loss.last_weights
            for name, loss in zip(self.head.stage_names, self.head.attr_losses)
            if loss.last_weights.numel()
        }


def to_original_image(instances: InstanceData,
                      meta: dict) -> InstanceData:
    """Map boxes and keypoints from network input pixels to the original.

    Undoes ``Resize`` (``scale_factor``) and any crop (``crop_offset``).

    Args:
        instances (InstanceData): Predictions in input pixels.
        meta (dict): Image meta with ``scale_factor`` and ``crop_offset``.

    Returns:
        InstanceData: The same instances in original-image pixels.
    """
    scale = instances.bboxes.new_tensor(meta.get('scale_factor', (1., 1.)))
    offset = instances.bboxes.new_tensor(meta.get('crop_offset', (0., 0.)))
    instances.bboxes = instances.bboxes / scale.repeat(2) + offset.repeat(2)
    if 'keypoints' in instances:
        instances.keypoints = instances.keypoints / scale + offset
    return instances

