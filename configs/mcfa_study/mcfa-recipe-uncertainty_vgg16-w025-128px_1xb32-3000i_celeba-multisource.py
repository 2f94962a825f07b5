# The recipe with learned task weights instead of the fixed sum: Kendall et
# al.'s homoscedastic uncertainty, one log variance per stage and task. The
# fixed-weight recipe stays the default: a tuned plain sum is as good as the
# learned schemes in the literature (ANCHORS.md), and is cheaper to reason
# about. Compare the two with the same budget (docs/study_log.md).
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

model = dict(
    head=dict(
        # the weighting learns the balance; start every task at 1
        loss_weights=dict(face_cls=1.0, bbox=1.0, landmark=1.0,
                          attribute=1.0),
        task_weighting=dict(
            type='UncertaintyTaskWeighting', init_log_variance=0.0)))
