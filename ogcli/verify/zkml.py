"""zkML: proofs that an ONNX model produced an output from an input, with ezkl (Halo2, KZG).

Optional (`pip install 'ogcli[zkml]'`). Where ezkl is not installed, every entry point raises
`ZkmlUnavailable` and the node does not offer the mode: nothing is faked.

Who does what:
- the publisher builds the circuit once, at `ogcli model push --modes ...,zkml`: settings
  (calibrated on a fixed pseudo-random input, so the same model gives the same settings),
  compiled circuit, SRS, proving and verifying keys. They are stored by CID and named in the
  model's on-chain metadata (`zkml`), which is what commits the publisher to one circuit;
- the node proves each ZKML call with the proving key (inputs and outputs public, weights fixed
  in the circuit) and returns the proof with the answer;
- a verifier or the caller checks the proof with the verifying key and reads the proven inputs
  and outputs from its public instances, to compare with the record's hashes.

The SRS: ezkl's `get_srs` downloads a ceremony file, which is not allowed here. `build_circuit`
generates one locally with `gen_srs` instead. Its toxic waste is known to the machine that made
it, so such an SRS is fit for a devnet and for tests, not for a network with value at stake; a
real deployment names a ceremony SRS by CID the same way.

Settings: `decomp_base=256, decomp_legs=4` instead of ezkl's 16384/2: the same outputs with a
2^8-row range table instead of 2^14, so small models fit in 2^9-2^10 rows and proving takes a
fraction of a second instead of seconds (with a 2 MB proving key instead of 138 MB).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

ARTIFACTS = ("settings", "circuit", "vk", "pk", "srs")  # what a published circuit consists of
FILENAMES = {"settings": "settings.json", "circuit": "network.ezkl", "vk": "vk.key", "pk": "pk.key", "srs": "kzg.srs"}
CALIBRATION_SEED = 20260101


class ZkmlUnavailable(RuntimeError):
    """ezkl is not installed: zkML cannot be used here (never faked)."""


class ZkmlError(RuntimeError):
    """A circuit could not be built, or a proof could not be made or does not verify."""


def available() -> bool:
    try:
        _ezkl()
    except ZkmlUnavailable:
        return False
    return True


def _ezkl():
    # ezkl keeps a lookup-table cache under $EZKL_REPO_PATH (default ~/.ezkl): point it at our
    # cache dir so that nothing is written into the user's home outside XDG.
    if "EZKL_REPO_PATH" not in os.environ:
        from ogcli import locations

        os.environ["EZKL_REPO_PATH"] = str(locations.cache_dir() / "ezkl")
    try:
        import ezkl
    except ImportError:
        raise ZkmlUnavailable("zkML needs ezkl, which is not installed: pip install 'ogcli[zkml]'") from None
    return ezkl


@dataclass(frozen=True)
class Circuit:
    """A built circuit's files in one directory (FILENAMES)."""

    directory: Path

    def path(self, artifact: str) -> Path:
        return self.directory / FILENAMES[artifact]

    @functools.cached_property
    def settings(self) -> dict:
        return json.loads(self.path("settings").read_text())


@dataclass(frozen=True)
class Proven:
    """A proof and what it proves: the public inputs and outputs, as floats (fixed-point values
    of the circuit, rescaled)."""

    proof: dict  # ezkl's proof file, as JSON
    inputs: list[float]
    outputs: list[float]


def build_circuit(onnx_path: Path, input_shapes: list[list[int]], directory: Path) -> Circuit:
    """Settings, compiled circuit, a locally generated SRS, and the keys, into `directory`.
    `input_shapes`: the model's inputs in graph order, every dimension fixed."""
    ezkl = _ezkl()
    import numpy as np

    if any(not isinstance(d, int) or d < 1 for shape in input_shapes for d in shape):
        raise ZkmlError(f"zkML needs fixed input shapes; this model takes {input_shapes}")

    directory.mkdir(parents=True, exist_ok=True)
    circuit = Circuit(directory)
    run_args = ezkl.PyRunArgs()
    run_args.input_visibility = "public"
    run_args.output_visibility = "public"
    run_args.param_visibility = "fixed"
    run_args.decomp_base = 256
    run_args.decomp_legs = 4
    rng = np.random.default_rng(CALIBRATION_SEED)
    samples = [rng.normal(0.0, 1.0, size=int(np.prod(shape))).astype(float).tolist() for shape in input_shapes]
    calibration = directory / "calibration.json"
    calibration.write_text(json.dumps({"input_data": samples}))
    try:
        ezkl.gen_settings(str(onnx_path), str(circuit.path("settings")), py_run_args=run_args)
        _quietly(ezkl.calibrate_settings, str(calibration), str(onnx_path), str(circuit.path("settings")), "resources")
        ezkl.compile_circuit(str(onnx_path), str(circuit.path("circuit")), str(circuit.path("settings")))
        logrows = circuit.settings["run_args"]["logrows"]
        ezkl.gen_srs(str(circuit.path("srs")), logrows)  # local, see the module docstring
        ezkl.setup(str(circuit.path("circuit")), str(circuit.path("vk")), str(circuit.path("pk")),
                   srs_path=str(circuit.path("srs")))
    except (RuntimeError, ValueError) as exc:
        raise ZkmlError(f"ezkl cannot build a circuit for this model: {str(exc).splitlines()[0][:200]}") from None
    finally:
        calibration.unlink(missing_ok=True)
    return circuit


def prove(circuit: Circuit, flat_input: list[float]) -> Proven:
    """A proof that the circuit's model maps `flat_input` (row-major, single-input models) to
    the proven outputs."""
    ezkl = _ezkl()
    with tempfile.TemporaryDirectory(prefix="ogcli-zk-") as work:
        witness, proof_path = Path(work) / "witness.json", Path(work) / "proof.json"
        try:
            ezkl.gen_witness(json.dumps({"input_data": [list(flat_input)]}), str(circuit.path("circuit")), str(witness))
            ezkl.prove(str(witness), str(circuit.path("circuit")), str(circuit.path("pk")), str(proof_path),
                       srs_path=str(circuit.path("srs")))
        except (RuntimeError, ValueError) as exc:
            raise ZkmlError(f"proving failed: {str(exc).splitlines()[0][:200]}") from None
        proof = json.loads(proof_path.read_text())
    inputs, outputs = public_values(proof, circuit.settings)
    return Proven(proof, inputs, outputs)


def verify(proof: dict, circuit: Circuit) -> tuple[list[float], list[float]]:
    """The proven (inputs, outputs) when the proof verifies under the circuit's verifying key;
    ZkmlError when it does not (ezkl raises rather than answering False)."""
    ezkl = _ezkl()
    with tempfile.TemporaryDirectory(prefix="ogcli-zk-") as work:
        path = Path(work) / "proof.json"
        path.write_text(json.dumps(proof))
        try:
            ok = ezkl.verify(str(path), str(circuit.path("settings")), str(circuit.path("vk")),
                             srs_path=str(circuit.path("srs")))
        except (RuntimeError, ValueError) as exc:
            raise ZkmlError(f"the proof does not verify: {str(exc).splitlines()[0][:160]}") from None
    if ok is not True:
        raise ZkmlError("the proof does not verify")
    return public_values(proof, circuit.settings)


def public_values(proof: dict, settings: dict) -> tuple[list[float], list[float]]:
    """The public inputs and outputs a proof commits to, read from its instances (the only part
    the proof covers: ezkl's 'pretty' fields are not checked by verify and are ignored here)."""
    ezkl = _ezkl()
    try:
        instances = proof["instances"][0]
        in_scale = settings["model_input_scales"][0]
        out_scale = settings["model_output_scales"][0]
        n_in = sum(_size(s) for s in settings["model_instance_shapes"][: len(settings["model_input_scales"])])
    except (KeyError, IndexError, TypeError):
        raise ZkmlError("the proof or the settings are not ezkl's") from None
    inputs = [ezkl.felt_to_float(f, in_scale) for f in instances[:n_in]]
    outputs = [ezkl.felt_to_float(f, out_scale) for f in instances[n_in:]]
    return inputs, outputs


def quantize(values: list[float], scale: int) -> list[int]:
    """Values as the circuit's fixed point sees them (round(v * 2^scale)), for comparing inputs."""
    return [round(v * (1 << scale)) for v in values]


def _size(shape: list[int]) -> int:
    size = 1
    for d in shape:
        size *= d
    return size


def _quietly(fn, *args):
    """ezkl's calibration prints a report table straight to the process's stdout and stderr (from
    Rust); a `--json` caller must not see it."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            return fn(*args)
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


# ---------------------------------------------------------------------- published circuits


def publish(circuit: Circuit, store, input_names: list[str], output_names: list[str]) -> dict:
    """Stores the circuit's files; returns the `zkml` block of the model's metadata (CIDs, and the
    tensor order the circuit's public instances follow)."""
    cids = {name: store.put_file(circuit.path(name)) for name in ARTIFACTS}
    return {**cids, "inputs": list(input_names), "outputs": list(output_names)}


def fetch(block: dict, store, cache_dir: Path, *, with_pk: bool) -> Circuit:
    """The published circuit a model's metadata names, fetched by CID (each file verified against
    its CID, or nothing written) into a directory of `cache_dir` named by all its CIDs together;
    the proving key only for a prover. ZkmlError for metadata that names no valid circuit."""
    import hashlib

    from ogcli.storage.cid import CidError, cid_from_digest, digest_of_cid

    if not isinstance(block, dict) or any(not isinstance(block.get(a), str) for a in ARTIFACTS):
        raise ZkmlError("the model's metadata names no zkML circuit (publish it with --modes ...,zkml)")
    try:  # the metadata is anyone's text: only canonical CIDs go near a file name
        cids = {name: cid_from_digest(digest_of_cid(block[name])) for name in ARTIFACTS}
    except CidError as exc:
        raise ZkmlError(f"the model's zkML metadata names a bad CID: {exc}") from None
    key = hashlib.sha256(",".join(cids[name] for name in ARTIFACTS).encode()).hexdigest()[:32]
    circuit = Circuit(cache_dir / key)
    circuit.directory.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        if name == "pk" and not with_pk:
            continue
        if not circuit.path(name).exists():
            store.fetch_to(cids[name], circuit.path(name))
    return circuit


def flatten(tensors: dict, names: list[str]) -> list[float]:
    """Named nested lists, concatenated row-major in `names` order (the circuit's instance order)."""
    import numpy as np

    if set(tensors) != set(names):
        raise ZkmlError(f"expected tensors {names}, got {sorted(tensors)}")
    return [float(v) for name in names for v in np.asarray(tensors[name], dtype=float).reshape(-1)]


def shaped_like(flat: list[float], like: dict, names: list[str]) -> dict:
    """`flat` cut and reshaped into tensors shaped as the ones in `like`."""
    import numpy as np

    out, at = {}, 0
    for name in names:
        shape = np.asarray(like[name]).shape
        size = int(np.prod(shape)) if shape else 1
        out[name] = np.asarray(flat[at : at + size], dtype=float).reshape(shape).tolist()
        at += size
    return out


def check_bundle(bundle: dict, record: dict, circuit: Circuit, block: dict) -> list[str]:
    """Why a ZKML call's published bundle (input, outputs, proof) fails its record; [] when it
    holds: the hashes match, the proof verifies, and it proves exactly that input and output."""
    from ogcli.verify.judges import hash_reasons

    if not isinstance(bundle, dict) or not {"input", "outputs", "proof"} <= set(bundle):
        return ["the node publishes no proof for this call"]
    reasons = hash_reasons(bundle, record)
    try:
        proven_in, proven_out = verify(bundle["proof"], circuit)
    except ZkmlError as exc:
        return reasons + [str(exc)]
    settings = circuit.settings
    try:
        claimed_in = flatten(bundle["input"]["inputs"], block["inputs"])
        claimed_out = flatten(bundle["outputs"], block["outputs"])
    except (ZkmlError, KeyError, TypeError, ValueError):
        return reasons + ["the published input or output does not fit the circuit's tensors"]
    scale = settings["model_input_scales"][0]
    if quantize(claimed_in, scale) != quantize(proven_in, scale):
        reasons.append("the proof is for another input")
    if claimed_out != proven_out:
        reasons.append("the answer is not the output the proof proves")
    return reasons

