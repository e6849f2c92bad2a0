"""Image quality metrics: synthesis (PSNR, SSIM, NMSE), fusion (the paper's five, Piella's Q and the field's), colour
fidelity of a colour fusion, and the two-pixel checkerboard."""

from ivan_core.metrics.artefacts import checkerboard_ratio, nyquist_power, nyquist_share
from ivan_core.metrics.colour import colour_fidelity, functional_region
from ivan_core.metrics.fusion import ag, en, qabf, qmi, qpiella, sf
from ivan_core.metrics.fusion_field import FUSION_METRICS, bright_contrast, cc, fusion_metrics, qy, scd, sd, vif
from ivan_core.metrics.synthesis import nmse, psnr, ssim

__all__ = ["psnr", "ssim", "nmse", "ag", "sf", "en", "qmi", "qabf", "qpiella", "scd", "vif", "qy", "sd", "cc",
           "bright_contrast", "fusion_metrics", "FUSION_METRICS", "nyquist_power", "nyquist_share",
           "checkerboard_ratio", "colour_fidelity", "functional_region"]
