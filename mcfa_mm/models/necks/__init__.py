from .cascade_neck import MCFACascadeNeck

__all__ = ['MCFACascadeNeck']
