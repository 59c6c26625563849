from typing import Dict, Optional, Sequence, Tuple

from mmdet.models.detectors import DETR
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

from ..utils.detr_mask_features import DETRMaskFeatures


@MODELS.register_module()
class PanopticDETR(DETR):
    """mmdet's DETR that also hands the mask branch what it needs.

    The backbone returns res2..res5; the neck (DETR's ``input_proj``, a
    1x1 ChannelMapper) projects res5 only. The head
    (:class:`DETRPanopticHead`) receives the decoder states and, for the
    masks, the encoder memory as a map with its padding mask, the projected
    res5 feature and res4, res3, res2.

    Args:
        trainable (Sequence[str], optional): If given, only parameters whose
            names start with one of these prefixes are trained; the rest get
            ``requires_grad=False``. The mask stage of the two-stage recipe
            sets ``('bbox_head.attention_map', 'bbox_head.mask_head')``.
        **kwargs: ``DETR`` arguments.
    """

    def __init__(self,
                 *args,
                 trainable: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if trainable is not None:
            prefixes = tuple(trainable)
            names = [n for n, _ in self.named_parameters()]
            unknown = [
                p for p in prefixes if not any(n.startswith(p) for n in names)
            ]
            if unknown:
                raise ValueError(f'trainable: no parameters start with '
                                 f'{unknown}')
            for name, param in self.named_parameters():
                param.requires_grad_(name.startswith(prefixes))

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """
        Returns:
            tuple[Tensor]: res2, res3, res4 (backbone channels) and the
            projected res5 (B, embed_dims, H/32, W/32), last as DETR reads
            it.
        """
        feats = self.backbone(batch_inputs)
        return tuple(feats[:-1]) + tuple(self.neck(feats[-1:]))

    def forward_transformer(self,
                            img_feats: Tuple[Tensor, ...],
                            batch_data_samples: SampleList = None) -> Dict:
        encoder_inputs, decoder_inputs = self.pre_transformer(
            img_feats, batch_data_samples)
        encoder_outputs = self.forward_encoder(**encoder_inputs)
        decoder_extra, head_inputs = self.pre_decoder(**encoder_outputs)
        decoder_inputs.update(decoder_extra)
        head_inputs.update(self.forward_decoder(**decoder_inputs))
        head_inputs['mask_features'] = DETRMaskFeatures.from_encoder(
            encoder_outputs['memory'], encoder_inputs['feat_mask'],
            img_feats[-1], img_feats[:-1])
        return head_inputs

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """``pred_panoptic_seg`` per sample (``pred_instances`` for a
        box-only head)."""
        head_inputs = self.forward_transformer(
            self.extract_feat(batch_inputs), batch_data_samples)
        results = self.bbox_head.predict(
            **head_inputs,
            rescale=rescale,
            batch_data_samples=batch_data_samples)
        if not self.bbox_head.with_mask:
            return self.add_pred_to_datasample(batch_data_samples, results)
        for sample, panoptic in zip(batch_data_samples, results):
            sample.pred_panoptic_seg = panoptic
        return batch_data_samples

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: SampleList = None):
        """Class and box outputs of every decoder layer."""
        head_inputs = self.forward_transformer(
            self.extract_feat(batch_inputs), batch_data_samples)
        return self.bbox_head(head_inputs['hidden_states'])
