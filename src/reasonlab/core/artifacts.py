"""The chapter's shipped artifacts: one store under ``reasonlab/data/``, one staleness rule.

Everything the notebooks load instead of training (zoo checkpoints, the comparison runs of the
training notebooks, the distillation tables, the labs' data) is an *artifact*: a named set of
files under ``data/`` written by ``python -m reasonlab.build`` (see :mod:`reasonlab.build` for
the list and their order). ``data/manifest.json`` records, for each artifact,

* ``recipe``: a hash of everything that determines it (its configs and the recipes of the
  artifacts it starts from), never the package version;
* ``files``: the SHA-256 of every file it wrote;
* ``seconds``: how long it took to make, so a reader can be told before anything retrains;
* ``made_with``: the fingerprint of the machine that made it (:func:`fingerprint`: torch
  version, the CPU kernels torch picked, the thread count, a digest of what those kernels
  compute). Entries recorded before the digest existed lack it, so no process matches them
  and tests ask such artifacts for agreement in behaviour only. Builds are bit-identical only on a
  matching fingerprint; elsewhere float32 rounds differently and a retrained artifact agrees
  with the shipped one only in behaviour (tests/test_zoo.py checks both cases).

The staleness rule is the same for every artifact: it is fresh when its recorded recipe equals
the recipe the code describes now and every file is present with its recorded hash (the
fingerprint is information, not part of the rule: another machine's copy is not stale). A test
checks each one (cheaply: hashes, no rebuild); slices of the builds are re-run by other tests.

This module is a leaf: it reads and writes the manifest, and imports torch only inside
:func:`fingerprint`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
MANIFEST = DATA_DIR / "manifest.json"
#: Set to ``strict`` (``make nbval``, ``make book``, ``make notebooks`` do) and a missing
#: artifact is an error naming the build command; otherwise the reader is told and it trains.
MODE_ENV = "REASONLAB_ARTIFACTS"
BUILD_COMMAND = "python -m reasonlab.build"


class MissingArtifactError(FileNotFoundError):
    """A shipped artifact is missing or stale where training is not allowed."""


def write_result(path: Path, data: Any, *, sort_keys: bool = False) -> Path:
    """Write a shipped result as compact JSON (one line), making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":"), sort_keys=sort_keys) + "\n")
    return path


def read_result(path: Path, name: str, expected: dict[str, Any] | None = None) -> dict:
    """A shipped result written by :func:`write_result` for artifact ``name``.

    A missing file is a ``FileNotFoundError`` naming the build command. With ``expected``
    (``{"recipe": ..., "base_keys": ...}``), each entry must equal the file's ``meta`` entry (as
    JSON would store it), else a ``ValueError`` names the command that rebuilds it.
    """
    if not path.exists():
        raise FileNotFoundError(f"no shipped result at {path}; run `{BUILD_COMMAND} {name}`")
    data = json.loads(path.read_text())
    if expected is not None:
        meta = data.get("meta", {})
        if any(meta.get(k) != json.loads(json.dumps(v)) for k, v in expected.items()):
            raise ValueError(
                f"{path.name} was built from other bases or settings than the current ones: "
                f"rebuild with `{BUILD_COMMAND} {name}`"
            )
    return data


def recipe_hash(recipe: Any) -> str:
    """12 hex digits of the SHA-256 of ``recipe`` as canonical JSON (sorted keys)."""
    blob = json.dumps(recipe, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fingerprint() -> dict:
    """What a build's float results depend on besides its recipe, for this process.

    ``torch``: the version; ``cpu_capability``: the vector kernels torch dispatches to (AVX2,
    AVX512, ...: they round float32 sums differently); ``aten_cpu_capability``: the
    ``ATEN_CPU_CAPABILITY`` override if set (None otherwise); ``threads``: the intra-op thread
    count every build pins (``REASONLAB_THREADS``, see :func:`reasonlab.core.utils.set_seed`): a
    reduction split over more threads rounds differently too; ``kernels``: :func:`kernel_probe`,
    a digest of what this CPU's kernels actually compute (two CPUs that both report AVX512 can
    still round matrix products differently: seen between an AVX-512 Xeon and one with AMX).
    """
    import torch

    from .utils import NUM_THREADS

    return {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY"),
        "threads": NUM_THREADS,
        "kernels": kernel_probe(),
    }


@functools.lru_cache(maxsize=1)
def kernel_probe() -> str:
    """A 16-hex-digit digest of the float32 results of one small training step, on this CPU.

    The step is the work the chapter's models do, at their sizes (width 64, 4 heads, 30
    positions, batches of 8 to 48 rows): layer norm, linear layers, causal attention, GELU, a
    tied output head, log-softmax, the backward pass, an Adam-style update, and the one-token decode
    products (``(B, H, 1, D) @ (B, H, D, S)``). Two processes with the same digest ran the same
    kernels to the bit on this probe; a different digest means float32 rounds differently and
    retrained artifacts can differ in their last bits. Runs once per process (a few ms) on its
    own generator and tensors, at the pinned thread count; global state is left as it was.
    """
    import torch
    import torch.nn.functional as F  # noqa: N812 (the usual name)

    from .utils import NUM_THREADS

    threads = torch.get_num_threads()
    torch.set_num_threads(NUM_THREADS)
    try:
        g = torch.Generator().manual_seed(0)
        digest = hashlib.sha256()
        for rows in (8, 48):
            c, t, v = 64, 30, 40
            p = {
                "wte": torch.randn(v, c, generator=g) * 0.1,
                "qkv": torch.randn(3 * c, c, generator=g) * 0.1,
                "fc": torch.randn(4 * c, c, generator=g) * 0.1,
                "pr": torch.randn(c, 4 * c, generator=g) * 0.1,
            }
            for w in p.values():
                w.requires_grad_()
            idx = torch.randint(0, v, (rows, t), generator=g)
            x = F.layer_norm(F.embedding(idx, p["wte"]), (c,))
            q, k, val = F.linear(x, p["qkv"]).view(rows, t, 3, 4, c // 4).unbind(2)
            y = F.scaled_dot_product_attention(
                q.transpose(1, 2), k.transpose(1, 2), val.transpose(1, 2), is_causal=True
            )
            h = x + y.transpose(1, 2).reshape(rows, t, c)
            h = h + F.linear(F.gelu(F.linear(F.layer_norm(h, (c,)), p["fc"])), p["pr"])
            logp = F.log_softmax(h @ p["wte"].T, -1)
            loss = -logp[:, :-1].gather(-1, idx[:, 1:, None]).mean()
            loss.backward()
            with torch.no_grad():
                kk = k.transpose(1, 2)
                att = (q.transpose(1, 2)[:, :, -1:] @ kk.transpose(-2, -1)).softmax(-1)
                # Adam's update, by hand (the optimizer's first use costs a second of set-up).
                outs = [loss, logp, att @ val.transpose(1, 2)]
                outs += [w - 1e-3 * w.grad / (w.grad.square().sqrt() + 1e-8) for w in p.values()]
            for o in outs:
                digest.update(o.detach().contiguous().numpy().tobytes())
        return digest.hexdigest()[:16]
    finally:
        torch.set_num_threads(threads)


def made_with(name: str, path: Path = MANIFEST) -> dict | None:
    """The fingerprint recorded when ``name`` was built (None if never recorded)."""
    return read_manifest(path).get(name, {}).get("made_with")


def same_machine(name: str, path: Path = MANIFEST) -> bool:
    """Whether this process would rebuild ``name`` bit for bit: same fingerprint as its build."""
    return made_with(name, path) == fingerprint()


def read_manifest(path: Path = MANIFEST) -> dict[str, dict]:
    """``{artifact name: {"recipe", "files", "seconds", "command", "made_with"}}`` (empty if
    none yet; entries written before fingerprints were recorded lack ``made_with``)."""
    return json.loads(path.read_text()) if path.exists() else {}


def record(
    name: str,
    recipe: str,
    files: list[Path],
    seconds: float | None,
    *,
    data_dir: Path = DATA_DIR,
    path: Path = MANIFEST,
    made_with: dict | None = None,
) -> dict:
    """Write ``name``'s entry (after its files were built) and return it.

    ``made_with`` defaults to this process's :func:`fingerprint` (the process that built it).
    """
    manifest = read_manifest(path)
    entry = {
        "recipe": recipe,
        "files": {str(f.relative_to(data_dir)): file_hash(f) for f in sorted(files)},
        "seconds": None if seconds is None else round(seconds, 1),
        "command": f"{BUILD_COMMAND} {name}",
        "made_with": fingerprint() if made_with is None else made_with,
    }
    manifest[name] = entry
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return entry


def problems(name: str, recipe: str, *, data_dir: Path = DATA_DIR, path: Path = MANIFEST) -> list:
    """Why ``name`` is not fresh (empty list: it is fresh)."""
    entry = read_manifest(path).get(name)
    if entry is None:
        return [f"{name} was never built"]
    out = []
    if entry["recipe"] != recipe:
        out.append(f"{name}: recipe {recipe} now, built from {entry['recipe']}")
    for rel, digest in entry["files"].items():
        f = data_dir / rel
        if not f.exists():
            out.append(f"{name}: {rel} is missing")
        elif file_hash(f) != digest:
            out.append(f"{name}: {rel} differs from what the build wrote")
    return out


def seconds(name: str, path: Path = MANIFEST) -> float | None:
    """Recorded build time of ``name`` (None if never measured)."""
    return read_manifest(path).get(name, {}).get("seconds")


def strict() -> bool:
    """Whether training in place of a missing artifact is forbidden (book, nbval)."""
    return os.environ.get(MODE_ENV, "") == "strict"


def before_training(name: str, what: str, *, shipped: bool = True) -> None:
    """Call before training what the artifact ``name`` would have given.

    In strict mode, raise :class:`MissingArtifactError` naming the build command; otherwise
    tell the reader (on stderr, so a notebook shows it) how long the wait will be.

    Args:
        name: the artifact's name in the manifest (e.g. ``"zoo/base"``).
        what: how to call it in the message.
        shipped: whether the build command makes it (else only the cache ever holds it).
    """
    command = f"{BUILD_COMMAND} {name}"
    if strict():
        fix = f"run `{command}`" if shipped else "train it once outside the book build"
        raise MissingArtifactError(
            f"{what} is missing, and {MODE_ENV}=strict forbids training it here: {fix}"
        )
    took = seconds(name)
    when = (
        f"about {took:.0f} s of wall-clock time on the machine that built the shipped copy"
        if took is not None
        else "a time never measured for this recipe"
    )
    ship = f"; `{command}` ships it" if shipped else ""
    print(
        f"reasonlab: {what} is not shipped or cached: training it now ({when}){ship}",
        file=sys.stderr,
        flush=True,
    )
