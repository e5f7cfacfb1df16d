"""The province's own files (pure): MirrorMaker 2's configuration, the Kafka pins, the units file built
from the cities'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from caseflow.config.schemes import ConfigError
from caseflow.config.units_file import parse_units_file
from caseflow.province.units import City, province_units
from caseflow_devstack.mirror_maker import mm2_properties

ROOT = Path(__file__).resolve().parents[2]


def test_broker_and_mirror_maker_are_one_release() -> None:
    def pinned(pom: Path) -> str:
        found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom.read_text("utf-8"))
        assert found, pom
        return found.group(1)

    assert pinned(ROOT / "deploy/kafka/pom.xml") == pinned(ROOT / "deploy/kafka/mirror-maker/pom.xml")


def test_each_city_is_mirrored_into_the_province_and_nothing_back() -> None:
    props = dict(line.split(" = ", 1) for line in mm2_properties(
        {"hz": "127.0.0.1:1", "nb": "127.0.0.1:2"}, "province", "127.0.0.1:3", r"caseflow\.province-feed",
        replication=3).splitlines() if " = " in line)
    assert props["clusters"] == "hz, nb, province"
    assert props["hz->province.enabled"] == props["nb->province.enabled"] == "true"
    assert props["province->hz.enabled"] == props["province->nb.enabled"] == "false"
    assert props["hz->province.topics"] == r"caseflow\.province-feed"
    assert props["province.bootstrap.servers"] == "127.0.0.1:3"
    assert props["offset.storage.replication.factor"] == "3"
    with pytest.raises(ValueError, match="alias"):
        mm2_properties({"Hang Zhou": "x"}, "province", "y", "t")


def test_the_province_units_file_names_every_city_unit_by_its_city() -> None:
    city = parse_units_file({"units": [{"id": "U1", "name": "环卫所", "class": 1,
                                        "targets": {"on_time_rate": 0.9},
                                        "channels": [{"type": "webhook", "url": "http://x"}]},
                                       {"id": "U2", "class": 3}],
                             "regions": [{"id": "linping"}]}, "city")
    made = province_units([City("hz", "杭州市", city), City("nb", "宁波市", city)])
    assert made["regions"] == [{"id": "hz", "name": "杭州市"}, {"id": "nb", "name": "宁波市"}]
    assert made["units"][:2] == [
        {"id": "hz:U1", "name": "杭州市·环卫所", "class": 1, "targets": {"on_time_rate": 0.9}},
        {"id": "hz:U2", "name": "杭州市·U2", "class": 3}]
    assert [u["id"] for u in made["units"]] == ["hz:U1", "hz:U2", "nb:U1", "nb:U2"]
    parse_units_file(made, "province")  # a units file every service reads
    with pytest.raises(ConfigError, match="twice"):
        province_units([City("hz", "杭州市", city), City("hz", "又一个", city)])
    with pytest.raises(ConfigError, match="alias"):
        province_units([City("HZ", "杭州市", city)])
