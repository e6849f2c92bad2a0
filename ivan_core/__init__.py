"""iVAN: invertible networks with variable augmentation for medical image synthesis and fusion.

>>> from ivan_core import IVAN, get_task
>>> task = get_task("t1pd_to_t2")
>>> net = IVAN(task.channels, n_blocks=8, hidden=32)
"""

from ivan_core.core.model import IVAN
from ivan_core.core.tasks import TASKS, Task, get_task

__version__ = "0.1.0"
__all__ = ["IVAN", "TASKS", "Task", "get_task", "__version__"]
