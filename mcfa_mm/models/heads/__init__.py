from .mcfa_head import MCFAHead
from .targets import FaceTargets, build_face_targets
from .task_branch import TASKS, StageTaskBranch

__all__ = [
    'MCFAHead', 'StageTaskBranch', 'TASKS', 'FaceTargets', 'build_face_targets'
]
