"""attribute_names: the one fallback for unnamed attribute columns."""
from mcfa_mm.datasets import CELEBA_ATTRIBUTES, attribute_names


def test_meta_names_when_they_fit_else_celeba_else_indices():
    meta = dict(attribute_names=('Smiling', 'Male'))
    assert attribute_names(meta, 2) == ['Smiling', 'Male']
    # the meta names 2 columns, the model has 3: no wrong names
    assert attribute_names(meta, 3) == ['attr_0', 'attr_1', 'attr_2']
    assert attribute_names(meta, 40) == list(CELEBA_ATTRIBUTES)
    assert attribute_names(None, 40) == list(CELEBA_ATTRIBUTES)
    assert attribute_names({}, 1) == ['attr_0']
