"""Image quality metrics: synthesis (PSNR, SSIM, NMSE) and fusion (AG, SF, EN, Q_MI, Q^AB/F, Piella's Q)."""

from ivan_core.metrics.fusion import ag, en, fusion_metrics, qabf, qmi, qpiella, sf
from ivan_core.metrics.synthesis import nmse, psnr, ssim

__all__ = ["psnr", "ssim", "nmse", "ag", "sf", "en", "qmi", "qabf", "qpiella", "fusion_metrics"]
