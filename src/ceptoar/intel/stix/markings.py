"""TLP markings in STIX 2.1: the TLP 2.0 marking-definitions with their official OASIS ids (what we write),
and every id we recognise when reading (TLP 1.0, and the ids other platforms use for TLP 2.0).

The TLP 2.0 definitions are those of the OASIS CTI TC's extension `extension-definition--60a3c5c5-…`
(github.com/oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0): fixed ids,
created 2022-10-01, the level in the extension's `tlp_2_0` property. TLP 1.0 ids are the STIX 2.1
specification's (the stix2 library's `TLP_WHITE` … `TLP_RED`). OpenCTI writes TLP:CLEAR with the TLP 1.0
WHITE id and TLP:AMBER+STRICT with an id of its own; MISP (misp-stix) writes the OASIS ids above.

An object marked with several known markings takes the most restrictive; one marked only with markings we do
not know (a platform's own level, a PAP marking) is TLP:AMBER (`DEFAULT_TLP`): the recipient's own
organisation and those it must tell, never further — the safe reading of "marked, but we cannot say how".
Statement markings (a copyright, terms of use: ATT&CK's) restrict nothing and are not read as a TLP. An import
with no TLP marking at all becomes TLP:AMBER too. Unknown marking-definitions are kept as objects all the same.
"""

from __future__ import annotations

from ceptoar.sharing.models import TLP_RANK, Tlp

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

# Our marking -> (OASIS TLP 2.0 marking-definition id, name, extension level).
TLP2 = {
    Tlp.CLEAR: ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
    Tlp.GREEN: ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
    Tlp.AMBER: ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
    Tlp.AMBER_STRICT: (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "TLP:AMBER+STRICT",
        "amber+strict",
    ),
    Tlp.RED: ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
}

# TLP 1.0 (STIX 2.1 specification §7.2.1.4): WHITE reads as CLEAR.
TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}

# OpenCTI's TLP 2.0 (its `MARKING_TLP_*` constants): CLEAR reuses the TLP 1.0 WHITE id (above); AMBER+STRICT
# has its own.
OPENCTI_IDS = {
    "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37": Tlp.AMBER_STRICT,
}

KNOWN_IDS: dict[str, str] = {
    **{marking_id: tlp for tlp, (marking_id, _name, _level) in TLP2.items()},
    **TLP1_IDS,
    **OPENCTI_IDS,
}

# The words a definition may use for its level, whatever its id (a platform's own id with a TLP content).
LEVEL_WORDS = {
    "clear": Tlp.CLEAR,
    "white": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
    "amber_strict": Tlp.AMBER_STRICT,
    "red": Tlp.RED,
}

DEFAULT_TLP = Tlp.AMBER


def marking_definition(tlp: str) -> dict:
    """The OASIS TLP 2.0 marking-definition object of our marking, as the extension publishes it."""
    marking_id, name, level = TLP2[Tlp(tlp)]
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": TLP2_CREATED,
        "name": name,
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}},
    }


def marking_id(tlp: str) -> str:
    return TLP2[Tlp(tlp)][0]


def tlp_of_definition(definition: dict) -> str | None:
    """The TLP a marking-definition object states, by its id or, for ids we do not know, by its content
    (TLP 1.0 `definition.tlp`, the TLP 2.0 extension's `tlp_2_0`, or a name "TLP:…"); None if it is not a
    TLP marking."""
    known = KNOWN_IDS.get(definition.get("id", ""))
    if known is not None:
        return known
    words = []
    content = definition.get("definition")
    if definition.get("definition_type") == "tlp" and isinstance(content, dict):
        words.append(content.get("tlp"))
    extensions = definition.get("extensions")
    if isinstance(extensions, dict):
        extension = extensions.get(TLP2_EXTENSION_ID)
        if isinstance(extension, dict):
            words.append(extension.get("tlp_2_0"))
    name = definition.get("name")
    if isinstance(name, str) and name.upper().startswith("TLP:"):
        words.append(name[4:])
    for word in words:
        if isinstance(word, str) and word.strip().lower() in LEVEL_WORDS:
            return LEVEL_WORDS[word.strip().lower()]
    return None


def most_restrictive(tlps) -> str | None:
    found = [tlp for tlp in tlps if tlp]
    return max(found, key=lambda tlp: TLP_RANK[Tlp(tlp)]) if found else None


# What a statement marking (a copyright, terms of use) reads as: no TLP, and no restriction to guess at.
STATEMENT = "statement"


class MarkingReader:
    """Reads the TLP of objects from their `object_marking_refs`, given the marking-definitions of the bundle
    (by id) beside the ids every platform shares."""

    def __init__(self, definitions: dict[str, dict]) -> None:
        self.by_id: dict[str, str | None] = dict(KNOWN_IDS)
        for definition_id, definition in definitions.items():
            if definition_id not in self.by_id:
                tlp = tlp_of_definition(definition)
                if tlp is None and definition.get("definition_type") == "statement":
                    tlp = STATEMENT
                self.by_id[definition_id] = tlp

    def tlp_of_refs(self, refs) -> str:
        """The most restrictive known TLP among `refs`. With markings of which none is a TLP we know: AMBER
        (`DEFAULT_TLP`), unless all are statements (copyright, terms of use), which restrict nothing; ""
        when nothing marks the object (the import's own TLP then applies)."""
        if not refs or not isinstance(refs, list):
            return ""
        read = [self.by_id.get(ref) for ref in refs if isinstance(ref, str)]
        known = most_restrictive(tlp for tlp in read if tlp and tlp != STATEMENT)
        if known:
            return known
        return "" if read and all(tlp == STATEMENT for tlp in read) else DEFAULT_TLP
