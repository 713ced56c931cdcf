"""Inputs of the assessment that the dataset does not publish, with defaults and their sources.

Every parameter here is an explicit, documented input: the shipped default says where it comes
from (or that it is an assumption), and a user overrides it with a YAML file::

    critmat assess --holder EU27 --year 2022 --inputs my-inputs.yaml

Example file (all keys optional)::

    substitution:            # EC 2017 substitution indices, 0..1 (1 = no substitute)
      cobalt: {si_sr: 0.9, si_ei: 0.92}
    trade_restriction:       # EC 2017 t_c factor per exporting country (1 = none)
      CHN: 1.1
    sector_gva:              # gross value added per NACE 2-digit sector (any currency, same unit)
      C29: 250.0
      C27: 110.0
    end_use_nace:            # end-use sector (as in the end_uses table) -> NACE 2-digit code
      "Electric vehicles": C29
    economic_vulnerability:  # USGS-style EV term per material, 0..1
      cobalt: 0.6
    copper_midpoint: 0.0123  # GeoPolRisk midpoint of copper for the holder (USD/kg), for CFs
    high_risk_threshold: 0.5 # exporter instability g at or above which imports count as high-risk
    missing_governance: 0.5  # g used for an exporter without a WGI score
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from critmat.data.yamlfile import load_yaml_model

__all__ = ["DEFAULT_END_USE_NACE", "AssessmentInputs", "Substitution", "load_inputs"]

UnitInterval = Annotated[float, Field(ge=0.0, le=1.0)]


class Substitution(BaseModel):
    """EC 2017 substitution indices for supply risk and economic importance."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    si_sr: UnitInterval = 1.0
    si_ei: UnitInterval = 1.0


#: End-use sector names used in the end_uses table -> NACE Rev. 2 two-digit division.
#: A classification by critmat's curators (no figures involved), overridable via ``end_use_nace``.
DEFAULT_END_USE_NACE: dict[str, str] = {
    "Electric vehicles": "C29",
    "batteries (all)": "C27",
    "batteries": "C27",
    "Grid battery storage": "C27",
    "Solar PV": "C27",
    "Wind": "C28",
    "Other low emissions power generation": "C28",
    "Electricity networks": "C27",
    "Hydrogen technologies": "C28",
    "superalloys": "C30",
    "cemented carbides": "C25",
    "cemented carbide parts": "C25",
    "chemical applications": "C20",
    "chemicals": "C20",
    "catalysts (automotive + FCC)": "C20",
    "other metallic applications": "C24",
    "stainless steel": "C24",
    "steels": "C24",
    "integrated circuits": "C26",
    "optoelectronic devices": "C26",
    "electrical": "C26",
    "ceramics and glass": "C23",
    "glass": "C23",
    "permanent magnets": "C27",
    "autocatalysts": "C29",
    "castings": "C24",
    "aluminum-base alloys": "C24",
    "solder": "C25",
    "tinplate": "C25",
    "medical": "C32",
    "jewellery": "C32",
    # germanium (USGS OFR 2024-1057): fibre optic cables NACE 27.31, optical instruments 26.70,
    # electronic components and solar cells 26.11
    "fiber optics": "C27",
    "infrared optics": "C26",
    "electronics and solar applications": "C26",
    # tantalum: capacitors are electronic components (26.11)
    "capacitors": "C26",
}


class AssessmentInputs(BaseModel):
    """User-supplied parameters; every default is documented (docs/methods.md, "Assess")."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    substitution: dict[str, Substitution] = Field(
        default_factory=dict,
        description="Overrides the EC 2023 published indices (table eu_crm_inputs); a material "
        "with neither gets si_sr = si_ei = 1 (no substitute, the conservative end of the scale).",
    )
    trade_restriction: dict[str, Annotated[float, Field(gt=0.0, le=3.0)]] = Field(
        default_factory=dict,
        description="EC 2017 t_c per exporter; default 1.0 (no restriction factor) for all.",
    )
    sector_gva: dict[str, Annotated[float, Field(gt=0.0)]] = Field(
        default_factory=dict,
        description="Value added by NACE 2-digit sector; replaces the EU27 value added used by the "
        "EC 2023 study (table sector_value_added).",
    )
    end_use_nace: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_END_USE_NACE))
    economic_vulnerability: dict[str, UnitInterval] = Field(
        default_factory=dict,
        description="USGS-style EV per material; default 1.0 (worst case) since industry net "
        "operating surplus is not in the dataset.",
    )
    copper_midpoint: Annotated[float, Field(gt=0.0)] | None = Field(
        default=None,
        description="GeoPolRisk midpoint of copper for the holder (USD/kg); the shipped trade "
        "extract has no copper headings, so CFs need this input.",
    )
    high_risk_threshold: UnitInterval = 0.5
    missing_governance: UnitInterval = Field(
        default=0.5,
        description="Instability g for an exporter without a WGI score (the GeoPolRisk "
        "convention); every use is reported in the result's 'defaults' column.",
    )


def load_inputs(path: str | Path | None) -> AssessmentInputs:
    """Read an inputs YAML file; ``None`` gives the defaults.

    Raises
    ------
    DatasetError
        With the file, the key path and the reason for every invalid entry.
    """
    if path is None:
        return AssessmentInputs()
    return load_yaml_model(path, AssessmentInputs, "inputs", empty_ok=True)
