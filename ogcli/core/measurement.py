"""The measurement hash TEERegistry keys an enclave image by, from the values a vendor publishes.

One rule for every vendor: sha-256 over the vendor's measurement registers, concatenated in a
fixed order, each as the raw bytes the hardware reports.

  NITRO      PCR0 || PCR1 || PCR2              (each SHA-384, 48 bytes: image, kernel, application)
  TDX        MRTD || RTMR0 || RTMR1 || RTMR2   (each 48 bytes)
  SNP        MEASUREMENT                       (48 bytes)
  NVIDIA_CC  the driver and VBIOS measurements (each 48 bytes)
  DEV        as NITRO, over the PCRs the reference node's DEV enclave reports for its image
             (PCRi = sha384("ogcli-node dev enclave <image> pcr<i>"))

So a voter can take the PCRs an operator publishes (or `nitro-cli describe-enclaves` prints),
compute the hash here, and compare it with the one a proposal would approve.
"""

from __future__ import annotations

import hashlib

REGISTER_BYTES = 48
REGISTERS = {
    "NITRO": ("pcr0", "pcr1", "pcr2"),
    "TDX": ("mrtd", "rtmr0", "rtmr1", "rtmr2"),
    "SNP": ("measurement",),
    "NVIDIA_CC": ("driver", "vbios"),
}


def measurement(vendor: str, registers: dict[str, str]) -> bytes:
    """The registry's measurement for `vendor` from hex register values; ValueError names what is
    missing, extra or malformed."""
    vendor = vendor.upper()
    if vendor == "DEV":
        name = registers.get("image", "")
        if not name:
            raise ValueError("DEV measurements come from the image name: give --image NAME")
        pcrs = dev_pcrs(name)
        return hashlib.sha256(pcrs[0] + pcrs[1] + pcrs[2]).digest()
    if vendor not in REGISTERS:
        raise ValueError(f"unknown vendor {vendor!r} (vendors: {', '.join([*REGISTERS, 'DEV'])})")
    wanted = REGISTERS[vendor]
    given = {k: v for k, v in registers.items() if v}
    missing = [name for name in wanted if name not in given]
    extra = [name for name in given if name not in wanted]
    if missing or extra:
        raise ValueError(f"{vendor} needs exactly {', '.join('--' + w for w in wanted)}" + (
            f" (missing {', '.join(missing)})" if missing else f" (not used: {', '.join(extra)})"))
    raw = b""
    for name in wanted:
        text = given[name].strip().lower().removeprefix("0x")
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"--{name} is not hex") from None
        if len(value) != REGISTER_BYTES:
            raise ValueError(f"--{name} is {len(value)} bytes; {vendor} registers are {REGISTER_BYTES} (SHA-384)")
        raw += value
    return hashlib.sha256(raw).digest()


def dev_pcrs(image: str) -> dict[int, bytes]:
    """PCR0..2 the DEV enclave reports for `image`, each a SHA-384 like Nitro's."""
    return {i: hashlib.sha384(f"ogcli-node dev enclave {image} pcr{i}".encode()).digest() for i in range(3)}
