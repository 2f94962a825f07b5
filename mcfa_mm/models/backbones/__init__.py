from .vgg_pyramid import (MCFAPyramidVGG, VGGSlice, load_vgg_slice,
                          vgg16_conv_names, vgg16_conv_weights)

__all__ = [
    'MCFAPyramidVGG', 'VGGSlice', 'load_vgg_slice', 'vgg16_conv_names',
    'vgg16_conv_weights'
]
