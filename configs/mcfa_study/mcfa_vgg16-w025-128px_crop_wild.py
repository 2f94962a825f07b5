# Crop-mode landmarks of the CPU-sized MCFA on the in-the-wild test photos:
# each labelled face is cropped (box enlarged 1.1x) and resized, and the
# 5 landmarks are scored by inter-ocular NME. Test-only: pass a checkpoint
# of a CPU-sized multi-source config (the recipe's included). Validation
# runs on the val split carved out of wild train (by photo and content).
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_lfwa.py'

wild_crop_val = dict(_base_.wild_val, pipeline=_base_.boxed_test_pipeline)
wild_crop_test = dict(_base_.wild_test, pipeline=_base_.boxed_test_pipeline)
val_dataloader = dict(dataset=wild_crop_val)
test_dataloader = dict(dataset=wild_crop_test)
val_evaluator = [dict(type='LandmarkNME', match_mode='first')]
test_evaluator = val_evaluator
