"""The engineering-extension subtypes the seed names (施工周期较长的工程性延期案件不计入延期案件考核): an
extension of a case of one of these kinds is not counted in `extended` (rules §4). Code tables differ by
city, so the names ship here and an operator maps each to the city's major/minor codes in the rules file
(`engineering_subtypes`); a name not in this list is refused."""

from __future__ import annotations

# (name, 事件/部件, the seed's group)
ENGINEERING_SUBTYPES: tuple[tuple[str, str, str], ...] = (
    ("道路破损", "事件", "市容环境"), ("河道保洁", "事件", "市容环境"),
    ("违章挖掘", "事件", "施工管理"),
    ("路面塌陷", "事件", "突发事件"), ("道路积水", "事件", "突发事件"), ("污水管漫溢", "事件", "突发事件"),
    ("水上遇险搜救", "事件", "突发事件"),
    ("沿河风光带设施管理", "事件", "公用设施"),
    ("危久房屋成片改造", "事件", "房屋建筑"), ("文物保护工程", "事件", "房屋建筑"),
    ("违法用地", "事件", "其他"),
    ("沿河景观建筑", "部件", "公用设施"), ("市区防洪闸站", "部件", "公用设施"), ("沿河栏杆", "部件", "公用设施"),
    ("公交站亭", "部件", "交通设施"), ("出租车站牌", "部件", "交通设施"), ("跨河桥", "部件", "交通设施"),
    ("交通标志牌", "部件", "交通设施"), ("交通信号灯", "部件", "交通设施"), ("交通信号设施", "部件", "交通设施"),
    ("公交站牌", "部件", "交通设施"), ("道路路牙", "部件", "交通设施"), ("缓冲垫", "部件", "交通设施"),
    ("公交站台", "部件", "交通设施"), ("交通控制箱", "部件", "交通设施"),
    ("绿化护栏", "部件", "园林绿化"), ("树池", "部件", "园林绿化"),
    ("重大危险源", "部件", "其他设施"),
)
NAMES = tuple(name for name, _, _ in ENGINEERING_SUBTYPES)


def mapped_codes(mapping: dict[str, str | list[str]]) -> tuple[str, ...]:
    """The codes the named subtypes are mapped to; ValueError naming an unknown name and the known ones."""
    unknown = [name for name in mapping if name not in NAMES]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not an engineering subtype the rules name; known: {'、'.join(NAMES)}")
    codes: list[str] = []
    for value in mapping.values():
        codes += [value] if isinstance(value, str) else list(value)
    return tuple(codes)
