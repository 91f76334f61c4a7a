"""pyiqa metrics: where their weights live, whether they are ready, and loading them once per run — offline.

Weights dir layout (``quality.weights_dir``, default ``data/weights``)::

    <weights_dir>/hub/pyiqa/<file>           pyiqa's own checkpoints ($TORCH_HOME/hub/pyiqa, TORCH_HOME=<weights_dir>)
    <weights_dir>/huggingface/hub/models--…  timm backbones (Hugging Face cache, e.g. NIMA's inception_resnet_v2)
    <weights_dir>/clip/<file>                OpenAI CLIP models (LAION aesthetics' ViT-L/14)

Weights are never downloaded during a run: before pyiqa is imported the caches are pointed at the weights dir and
``HF_HUB_OFFLINE=1`` is set (a hub lookup without it costs ~50 s per metric with no network). A metric whose file is
missing is reported *before* pyiqa is asked to build it (:data:`KNOWN_WEIGHTS` names the files), and while a metric is
built, pyiqa's and CLIP's downloaders are replaced by a guard that raises :class:`MissingWeightFile` instead of going
to the network — so even a metric missing from the table can only fail fast, never hang.

``import pyiqa`` costs ~5 s and pulls in torch: it happens only inside :func:`import_pyiqa`, never at module import.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import threading
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import AmirError

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Settings

PYIQA_BASE_URL = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main"
"""Where pyiqa 0.1.16 downloads its checkpoints from (``get_url_from_name``; a test checks they agree)."""

HF_BASE_URL = "https://huggingface.co"


class QualityError(AmirError):
    """Quality scoring cannot run as configured (e.g. ``device: cuda`` without a usable GPU)."""

    title = "Quality scoring"


class MissingWeightFile(AmirError):
    """A metric needs a weight file that is not in the weights dir (raised instead of downloading it)."""

    title = "Missing weights"

    def __init__(self, file_name: str, directory: Path | str) -> None:
        self.file_name = file_name
        self.directory = Path(directory)
        super().__init__(f"missing: {file_name} in {directory}", fix=FETCH_FIX)


FETCH_FIX = "run `amirtui models fetch` where the network allows, or copy the file into that folder"


@dataclass(frozen=True)
class WeightFile:
    """One file a metric needs: a pyiqa checkpoint, a CLIP model, or a file of a Hugging Face repo (timm backbones)."""

    kind: Literal["pyiqa", "clip", "hf"]
    name: str
    url: str = ""  # pyiqa / clip: the download URL
    repo: str = ""  # hf: repo id, e.g. "timm/inception_resnet_v2.tf_in1k"
    alternatives: tuple[str, ...] = ()  # hf: other file names that serve as well (pytorch_model.bin)

    def directory(self, weights_dir: Path) -> Path:
        """The folder this file belongs in."""
        if self.kind == "pyiqa":
            return weights_dir / "hub" / "pyiqa"
        if self.kind == "clip":
            return weights_dir / "clip"
        return hf_cache_dir(weights_dir) / ("models--" + self.repo.replace("/", "--"))

    def present(self, weights_dir: Path) -> bool:
        """Whether the file is already there (for hf: in any snapshot of the repo's cache)."""
        d = self.directory(weights_dir)
        if self.kind != "hf":
            f = d / self.name
            return f.is_file() and f.stat().st_size > 0
        snaps = d / "snapshots"
        return snaps.is_dir() and any(
            (s / n).exists() for s in snaps.iterdir() for n in (self.name, *self.alternatives)
        )


def _pyiqa(name: str) -> WeightFile:
    # pyiqa builds the URL with the name percent-encoded and caches the file under the URL's *encoded* basename:
    # "sac+logos+ava1-l14-linearMSE.pth" is looked for on disk as "sac%2Blogos%2Bava1-l14-linearMSE.pth".
    encoded = urllib.parse.quote(name, safe="")
    return WeightFile("pyiqa", encoded, url=f"{PYIQA_BASE_URL}/{encoded}")


_CLIP_L14 = WeightFile(
    "clip",
    "ViT-L-14.pt",
    url="https://openaipublic.azureedge.net/clip/models/"
    "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt",
)

#: The files each supported metric needs (pyiqa 0.1.16 defaults). Metrics absent here still load through the
#: download guard; they just cannot be reported as missing without importing pyiqa first.
KNOWN_WEIGHTS: dict[str, tuple[WeightFile, ...]] = {
    "piqe": (),
    "entropy": (),
    "brisque": (_pyiqa("brisque_svm_weights.pth"),),
    "brisque_matlab": (_pyiqa("brisque_matlab.mat"),),
    "niqe": (_pyiqa("niqe_modelparameters.mat"),),
    "niqe_matlab": (_pyiqa("niqe_matlab_params.mat"),),
    "nima": (
        WeightFile("hf", "model.safetensors", repo="timm/inception_resnet_v2.tf_in1k", alternatives=("pytorch_model.bin",)),
        _pyiqa("NIMA_InceptionV2_ava-b0c77c00.pth"),
    ),
    "laion_aes": (_CLIP_L14, _pyiqa("sac+logos+ava1-l14-linearMSE.pth")),
    "musiq": (_pyiqa("musiq_koniq_ckpt-e95806b9.pth"),),
}


def hf_cache_dir(weights_dir: Path) -> Path:
    """The Hugging Face hub cache inside the weights dir."""
    return weights_dir / "huggingface" / "hub"


# ------------------------------------------------------------------------------------------------ environment

_env_lock = threading.RLock()


def point_caches(weights_dir: Path, *, offline: bool = True) -> None:
    """Point torch hub, pyiqa, Hugging Face and CLIP caches at ``weights_dir`` (and set offline mode).

    Works before *and* after torch/pyiqa/huggingface_hub were imported: environment variables cover the first case,
    the modules' own globals (read at call time) the second.
    """
    weights_dir = Path(weights_dir)
    hub = weights_dir / "hub"
    hf = hf_cache_dir(weights_dir)
    os.environ["TORCH_HOME"] = str(weights_dir)
    os.environ["HF_HOME"] = str(weights_dir / "huggingface")
    os.environ["HF_HUB_CACHE"] = str(hf)
    flag = "1" if offline else "0"
    os.environ["HF_HUB_OFFLINE"] = flag
    os.environ["TRANSFORMERS_OFFLINE"] = flag
    if "torch.hub" in sys.modules:
        sys.modules["torch.hub"].set_dir(str(hub))
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_CACHE = str(hf)
        constants.HF_HUB_OFFLINE = offline
    for mod_name, mod in list(sys.modules.items()):
        # pyiqa computes DEFAULT_CACHE_DIR once at import; a few archs copy it by name
        if mod_name.startswith("pyiqa") and mod is not None and hasattr(mod, "DEFAULT_CACHE_DIR"):
            mod.DEFAULT_CACHE_DIR = str(hub / "pyiqa")


def import_pyiqa(weights_dir: Path) -> Any:
    """Import pyiqa (~5 s the first time) with every cache pointed at ``weights_dir`` and the hub offline."""
    with _env_lock:
        point_caches(weights_dir, offline=True)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            import pyiqa

        point_caches(weights_dir, offline=True)  # again: the import may have set module globals from old values
        return pyiqa


@contextlib.contextmanager
def download_guard(weights_dir: Path) -> Iterator[None]:
    """While active, pyiqa's and CLIP's downloaders raise :class:`MissingWeightFile` instead of using the network,
    and CLIP models are read from ``<weights_dir>/clip``."""
    from pyiqa.utils import download_util

    if importlib.util.find_spec("clip") is not None:
        # pyiqa imports its archs (and CLIP with them) lazily, inside create_metric: import CLIP now so its
        # downloader can be replaced before a CLIP-based metric reaches it
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            importlib.import_module("clip.clip")

    def refuse(url: str, dst: str, *args: Any, **kwargs: Any) -> None:
        raise MissingWeightFile(os.path.basename(dst), os.path.dirname(dst))

    clip_mod = sys.modules.get("clip.clip")
    saved_clip = getattr(clip_mod, "_download", None)
    clip_root = Path(weights_dir) / "clip"

    def clip_download(url: str, root: str) -> str:
        target = clip_root / os.path.basename(url)
        if not target.is_file():
            raise MissingWeightFile(target.name, clip_root)
        return saved_clip(url, str(clip_root))  # verifies the file's SHA256, then returns its path

    with _env_lock:
        saved = download_util.download_url_to_file
        download_util.download_url_to_file = refuse
        if clip_mod is not None:
            clip_mod._download = clip_download
        try:
            yield
        finally:
            download_util.download_url_to_file = saved
            if clip_mod is not None:
                clip_mod._download = saved_clip


# ------------------------------------------------------------------------------------------------ device, status


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` without a GPU is an error, not a fallback."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise QualityError(
            "quality.device is 'cuda' but torch sees no usable GPU",
            fix="set quality.device to auto or cpu, or check the NVIDIA driver (nvidia-smi)",
        )
    return device


@dataclass(frozen=True)
class MetricStatus:
    """One metric's preflight line: ``ready``, ``missing`` (which file, where) or ``failed`` (why)."""

    name: str
    status: Literal["ready", "missing", "failed"]
    detail: str = ""
    fix: str = ""


def missing_files(name: str, weights_dir: Path) -> list[tuple[WeightFile, Path]] | None:
    """The known weight files of ``name`` that are absent (empty: all present; None: metric not in the table)."""
    files = KNOWN_WEIGHTS.get(name)
    if files is None:
        return None
    return [(f, f.directory(weights_dir)) for f in files if not f.present(weights_dir)]


def _missing_status(name: str, missing: list[tuple[WeightFile, Path]]) -> MetricStatus:
    detail = "; ".join(f"missing: {f.name} in {d}" for f, d in missing)
    return MetricStatus(name, "missing", detail, FETCH_FIX)


@dataclass
class LoadedMetric:
    """A metric ready to score: ``fn`` takes an (N, 3, H, W) tensor in [0, 1] and returns (N, 1) scores."""

    name: str
    lower_better: bool
    fn: Callable[[Any], Any]
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)


def _create(pyiqa: Any, name: str, device: str, weights_dir: Path) -> LoadedMetric:
    import io

    from pyiqa.default_model_configs import DEFAULT_CONFIGS

    if name not in DEFAULT_CONFIGS:
        raise QualityError(
            f"'{name}' is not a pyiqa metric (quality.metrics)", fix="use a name from pyiqa.list_models(), e.g. piqe"
        )
    with download_guard(weights_dir), contextlib.redirect_stdout(io.StringIO()):
        # pyiqa prints "Loading pretrained model …" to stdout, which would scribble over the TUI
        metric = pyiqa.create_metric(name, device=device)
    return LoadedMetric(name, bool(metric.lower_better), metric, device)


def load_metrics(
    settings: Settings, warn: Callable[[str], None] | None = None
) -> tuple[list[LoadedMetric], list[MetricStatus]]:
    """Build every configured pyiqa metric that is ready (once per run). Missing/failed ones are skipped, each with
    one ``warn`` line, and reported in the returned statuses. Raises :class:`QualityError` for an unusable device."""
    q = settings.quality
    names = list(dict.fromkeys(q.metrics)) if q.enabled else []
    if not names:
        return [], []
    weights_dir = settings.weights_dir
    device = resolve_device(q.device)
    loaded: list[LoadedMetric] = []
    statuses: list[MetricStatus] = []
    pyiqa = None
    for name in names:
        missing = missing_files(name, weights_dir)
        if missing:
            st = _missing_status(name, missing)
        else:
            if pyiqa is None:
                pyiqa = import_pyiqa(weights_dir)
            try:
                loaded.append(_create(pyiqa, name, device, weights_dir))
                st = MetricStatus(name, "ready", f"loaded on {device}")
            except MissingWeightFile as exc:
                st = MetricStatus(name, "missing", exc.detail, exc.fix)
            except Exception as exc:  # noqa: BLE001 - any load failure: a bad file, an incompatible version, no memory
                why = exc.detail if isinstance(exc, AmirError) else f"{type(exc).__name__}: {exc}"
                fix = (
                    exc.fix if isinstance(exc, AmirError) and exc.fix
                    else "the weight file may be corrupt or from another version: delete it and run `amirtui models fetch`"
                )
                st = MetricStatus(name, "failed", f"failed to load: {why}"[:500], fix)
        statuses.append(st)
        if st.status != "ready" and warn is not None:
            warn(f"quality metric '{name}' skipped for this run — {st.detail} ({st.fix})")
    return loaded, statuses


def metric_status(settings: Settings, *, load: bool = True) -> list[MetricStatus]:
    """Preflight: one :class:`MetricStatus` per configured metric.

    ``missing`` is decided from the file table alone (fast, no pyiqa import, no network). With ``load=True`` the
    metrics whose files are present are really built (so a corrupt file shows as ``failed``); with ``load=False``
    they are reported ``ready`` from their files alone.
    """
    q = settings.quality
    if not q.enabled:
        return []
    names = list(dict.fromkeys(q.metrics))
    try:
        device = resolve_device(q.device) if load else q.device
    except QualityError as exc:
        return [MetricStatus(n, "failed", exc.detail, exc.fix) for n in names]
    if load:
        return load_metrics(settings)[1]
    out = []
    for name in names:
        missing = missing_files(name, settings.weights_dir)
        if missing:
            out.append(_missing_status(name, missing))
        elif missing is None:
            out.append(MetricStatus(name, "ready", "not in amirtui's weight table: files checked only when loaded"))
        else:
            out.append(MetricStatus(name, "ready", f"weight files present (device {device})"))
    return out
