"""Builds tests/screening/labelled.yaml from the bundled party lists: true variants and unrelated names.

Run from the repository root: ``python -m tests.screening.build_labelled``. Seeded, so the same lists give the
same file; review the diff when the lists change. The test (test_labelled.py) reads the file, not this script.

Positives are written the ways ERP records carry names: case, punctuation, legal forms, spacing,
abbreviations, dotted acronyms, pinyin with tone marks, look-alike letters, full-width forms, the listed
Chinese-script names in simplified and traditional characters, and (expected only to be flagged, not decided)
typos, extra words such as a branch or a city, and an ambiguous abbreviation (`Elec.`).

Negatives are names a careful officer would not hold against any listed entry: the listed names with their
distinctive word replaced by a word at least three edits away; unrelated companies built from pools of
brands, places, trades and legal forms in several languages and scripts; weak aliases inside longer names
(`Shanghai Shuguang Hospital`) or in another country. A generated name that contains a distinctive word of
a listed name (any word that is not generic) is not unrelated and is left out; nothing else is filtered.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml
from opencc import OpenCC
from rapidfuzz.distance import OSA

from compliance import load_packs
from compliance.models.pack import PartyEntry
from compliance.screening.index import listed_names
from compliance.screening.normalize import analyse
from compliance.screening.orgtypes import GENERIC_WORDS, HAN_GENERIC_BIGRAMS

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("labelled.yaml")

EQUIVALENT = ("case", "punctuation", "legal-form", "spacing", "abbreviation", "acronym", "diacritics",
              "homoglyph", "full-width", "chinese", "traditional", "alias", "branch")  # fmt: skip
FLAGGED_ONLY = ("typo", "extra-words", "ambiguous-abbreviation")

_TONES = {"a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù"}
_HOMOGLYPH = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "i": "\u0456",
              "x": "\u0445", "y": "\u0443", "A": "\u0410", "E": "\u0415", "O": "\u041e", "C": "\u0421",
              "H": "\u041d", "M": "\u041c", "T": "\u0422", "K": "\u039a", "B": "\u0392", "P": "\u03a1"}  # fmt: skip
_ABBREV = {"Technology": "Tech.", "Technologies": "Tech.", "International": "Intl", "Manufacturing": "Mfg.",
           "Information": "Info.", "Corporation": "Corp.", "Company": "Co.", "Microelectronics": "Microelec.",
           "Semiconductor": "Semicon."}  # fmt: skip
# Abbreviations that stand for more than one word: flagged, not decided.
_AMBIGUOUS = {"Electronic": "Elec.", "Electronics": "Elec.", "Industry": "Ind.", "Industries": "Ind.",
              "Industrial": "Ind."}  # fmt: skip
_LEGAL = ["Co., Ltd.", "Co Ltd", "Limited", "Company Limited", "Corp.", "Inc.", "LLC", "Ltd", "CO.,LTD"]
_HAN_LEGAL = ["股份有限公司", "有限责任公司", "有限公司"]  # longest first: each ends the shorter ones

_BRANDS = """Apex Vertex Summit Pioneer Atlas Orion Nova Zenith Meridian Keystone Harbor Crescent Evergreen Falcon
Granite Horizon Ironwood Juniper Lakeside Maple Northstar Oakridge Pinnacle Quarry Redwood Sapphire Trident
Unity Vantage Willow Yellowstone Bluebird Copperfield Driftwood Emerald Foxglove Goldcrest Highland Ivory
Kingfisher Lighthouse Moonstone Nightingale Oceanic Parkside Riverbend Silverline Thornbury Upland Valiant
Westbrook Anderson Baker Keller Schmidt Dupont Rossi Tanaka Sato Ivanov Petrov Novak Kowalski Jensen Larsen
Moreau Lefebvre Fischer Weber Wagner Becker Hoffmann Yamamoto Nakamura Kobayashi Watanabe Suzuki Kato Ito
Morrison Fletcher Whitaker Pemberton Ashford Blackwood Carrington Davenport Ellsworth Fairbanks Gladstone
Hargrove Kensington Lancaster Marlowe Norwood Prescott Radcliffe Sherwood Templeton Wexford Albion Brightwater
Cobalt Delta Echo Fjord Glacier Helix Indigo Jade Kestrel Lumen Magnolia Nimbus Onyx Prism Quartz Raven Sierra
Tundra Ultra Vector Wren Xenon Yarrow Zephyr""".split()
_PINYIN = """xin hua tian long feng sheng kai rui bo jia yuan hong da guang ming hai jin tong chang heng xing yu ze an
kang lian zhong wei teng hao fu mei lan qing shan he yang cheng de li run tai ping shun xiang yi jun kun peng
hui rong sen shi""".split()
_TRADES = """Logistics Trading Foods Textiles Pharma Motors Plastics Packaging Consulting Hospital Bakery Hotel
Furniture Apparel Ceramics Paper Printing Construction Realty Insurance Tours Shipping Dairy Seeds Fisheries
Cosmetics Toys Footwear Jewelry Glass Steel Cement Tiles Garments Leather Beverages Brewery Winery Catering
Cleaning Staffing Marketing Advertising Publishing Studio Clinic Pharmacy Dental Optical Veterinary Fitness
Education Academy School Farms Gardens Florist Bicycles Auto Parts Tyres Batteries Cables Lighting Pumps Valves
Tools Hardware Software Electronics Semiconductors Instruments Robotics Machinery Chemicals Coatings Adhesives
Fertilizers Pesticides""".split()
_PLACES = """Shanghai Beijing Shenzhen Tianjin Chengdu Wuhan Xiamen Qingdao Nanjing Hangzhou Guangzhou Suzhou Hamburg
Munich Lyon Milan Madrid Osaka Nagoya Busan Lagos Nairobi Toronto Denver Austin Porto Krakow Brno Tampere
Aarhus Bergen Izmir Hanoi Penang Cebu Perth Auckland""".split()
_WESTERN_LEGAL = ["GmbH", "S.A.", "Inc.", "LLC", "Pte. Ltd.", "Sp. z o.o.", "K.K.", "Ltd.", "S.r.l.", "B.V.",
                  "AG", "Oy", "AB", "Pty Ltd", "S.A.S.", "Co., Ltd.", "Corporation", "PLC"]  # fmt: skip
_HAN_BRANDS = "新华 天龙 金丰 瑞峰 宏达 明光 海通 长城 恒星 兴业 嘉禾 永安 康泰 联华 中天 伟业 腾飞 福田 美兰 青山 和平 阳光 德信 润泽 太平 顺达 祥和 益民 俊峰 坤元".split()  # fmt: skip
_HAN_TRADES = (
    "物流 贸易 食品 纺织 医药 汽车 塑料 包装 咨询 医院 酒店 家具 服装 陶瓷 印刷 建设 地产 保险 旅游 航运".split()
)
_HAN_PLACES = "上海 北京 深圳 天津 成都 武汉 厦门 青岛 南京 杭州 广州 苏州".split()
# Real companies, none of them on the bundled lists: what an ERP customer master is full of.
_REAL = [("Samsung Electronics Co., Ltd.", "KR"), ("LG Electronics Inc.", "KR"), ("SK hynix Inc.", "KR"),
         ("Sony Group Corporation", "JP"), ("Panasonic Holdings Corporation", "JP"), ("Toyota Motor Corporation", "JP"),
         ("Tokyo Electron Limited", "JP"), ("Renesas Electronics Corporation", "JP"), ("Siemens AG", "DE"),
         ("Robert Bosch GmbH", "DE"), ("BASF SE", "DE"), ("Infineon Technologies AG", "DE"), ("Carl Zeiss AG", "DE"),
         ("Nestle S.A.", "CH"), ("Unilever PLC", "GB"), ("ASML Holding N.V.", "NL"), ("NXP Semiconductors N.V.", "NL"),
         ("STMicroelectronics N.V.", "CH"), ("Texas Instruments Incorporated", "US"), ("Intel Corporation", "US"),
         ("Advanced Micro Devices, Inc.", "US"), ("NVIDIA Corporation", "US"), ("Qualcomm Incorporated", "US"),
         ("Broadcom Inc.", "US"), ("Micron Technology, Inc.", "US"), ("Applied Materials, Inc.", "US"),
         ("Lam Research Corporation", "US"), ("KLA Corporation", "US"), ("Cisco Systems, Inc.", "US"),
         ("Juniper Networks, Inc.", "US"), ("Arista Networks, Inc.", "US"), ("Super Micro Computer, Inc.", "US"),
         ("Dell Technologies Inc.", "US"), ("HP Inc.", "US"), ("Hewlett Packard Enterprise Company", "US"),
         ("Microsoft Corporation", "US"), ("Oracle Corporation", "US"), ("Amazon Web Services, Inc.", "US"),
         ("Taiwan Semiconductor Manufacturing Company Limited", "TW"), ("United Microelectronics Corporation", "TW"),
         ("MediaTek Inc.", "TW"), ("Hon Hai Precision Industry Co., Ltd.", "TW"), ("Quanta Computer Inc.", "TW"),
         ("Wistron Corporation", "TW"), ("Pegatron Corporation", "TW"), ("ASUSTeK Computer Inc.", "TW"),
         ("Acer Incorporated", "TW"), ("Tencent Holdings Limited", "CN"), ("Alibaba Group Holding Limited", "CN"),
         ("Lenovo Group Limited", "CN"), ("Xiaomi Corporation", "CN"), ("BYD Company Limited", "CN"),
         ("Baidu, Inc.", "CN"), ("NetEase, Inc.", "CN"), ("Meituan", "CN"), ("Haier Smart Home Co., Ltd.", "CN"),
         ("Midea Group Co., Ltd.", "CN"), ("Gree Electric Appliances, Inc. of Zhuhai", "CN"),
         ("TCL Technology Group Corporation", "CN"), ("BOE Technology Group Co., Ltd.", "CN"),
         ("Contemporary Amperex Technology Co., Limited", "CN"), ("Geely Automobile Holdings Limited", "CN"),
         ("SAIC Motor Corporation Limited", "CN"), ("Bank of China Limited", "CN"),
         ("Industrial and Commercial Bank of China Limited", "CN"), ("China Construction Bank Corporation", "CN"),
         ("Ping An Insurance (Group) Company of China, Ltd.", "CN"), ("China Mobile Limited", "CN"),
         ("PetroChina Company Limited", "CN"), ("China Merchants Bank Co., Ltd.", "CN"), ("Anta Sports Products Limited", "CN"),
         ("腾讯控股有限公司", "CN"), ("阿里巴巴集团控股有限公司", "CN"), ("联想集团有限公司", "CN"), ("小米集团", "CN"),
         ("比亚迪股份有限公司", "CN"), ("海尔智家股份有限公司", "CN"), ("美的集团股份有限公司", "CN"),
         ("珠海格力电器股份有限公司", "CN"), ("京东方科技集团股份有限公司", "CN"), ("宁德时代新能源科技股份有限公司", "CN"),
         ("中国银行股份有限公司", "CN"), ("中国移动通信集团有限公司", "CN"), ("台湾积体电路制造股份有限公司", "TW"),
         ("鴻海精密工業股份有限公司", "TW"), ("聯發科技股份有限公司", "TW"), ("Tata Consultancy Services Limited", "IN"),
         ("Infosys Limited", "IN"), ("Reliance Industries Limited", "IN"), ("Petroleo Brasileiro S.A.", "BR"),
         ("Vale S.A.", "BR"), ("Gazprom PJSC", "RU"), ("Yandex N.V.", "NL"), ("Nokia Oyj", "FI"),
         ("Telefonaktiebolaget LM Ericsson", "SE"), ("Volvo Car AB", "SE"), ("Novo Nordisk A/S", "DK"),
         ("A.P. Moller - Maersk A/S", "DK"), ("Equinor ASA", "NO"), ("Airbus SE", "FR"), ("Thales S.A.", "FR"),
         ("Dassault Systemes SE", "FR"), ("Schneider Electric SE", "FR"), ("Leonardo S.p.A.", "IT"),
         ("Telefonica, S.A.", "ES"), ("Rolls-Royce Holdings plc", "GB"), ("BAE Systems plc", "GB"),
         ("Arm Holdings plc", "GB"), ("Shopify Inc.", "CA"), ("Nintendo Co., Ltd.", "JP")]  # fmt: skip
_CYRILLIC_BRANDS = ["Ромашка", "Берёзка", "Восток", "Заря", "Север", "Радуга", "Сокол", "Волна", "Орбита", "Маяк"]


def _case(rng: random.Random, name: str) -> str:
    return rng.choice([name.upper(), name.lower(), name.title(), name.swapcase()])


def _punctuation(rng: random.Random, name: str) -> str:
    if rng.random() < 0.5:
        return "".join(ch for ch in name if ch.isalnum() or ch.isspace())
    return name.replace(" ", rng.choice([", ", ". ", " - ", "/"]), 1)


def _legal(rng: random.Random, name: str) -> str:
    for form in sorted([*_LEGAL, "Co.", "Ltd.", "Corporation", "Company"], key=len, reverse=True):
        if name.endswith(" " + form) or name.endswith(", " + form):
            return name[: -len(form)].rstrip(", ") + " " + rng.choice([f for f in _LEGAL if f != form])
    return f"{name} {rng.choice(_LEGAL)}"


def _spacing(rng: random.Random, name: str) -> str:
    words = name.split()
    if len(words) > 1 and rng.random() < 0.6:
        i = rng.randrange(len(words) - 1)
        return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])
    return "  ".join(words)


def _abbreviation(name: str) -> str | None:
    for word, short in _ABBREV.items():
        if word in name.split():
            return name.replace(word, short, 1)
    return None


def _diacritics(rng: random.Random, name: str) -> str:
    out = []
    for ch in name:
        if ch.lower() in _TONES and rng.random() < 0.4:
            mark = rng.choice(_TONES[ch.lower()])
            out.append(mark.upper() if ch.isupper() else mark)
        else:
            out.append(ch)
    return "".join(out)


def _homoglyph(rng: random.Random, name: str) -> str | None:
    spots = [i for i, ch in enumerate(name) if ch in _HOMOGLYPH]
    if not spots:
        return None
    chosen = set(rng.sample(spots, min(len(spots), rng.choice([1, 2]))))
    return "".join(_HOMOGLYPH[ch] if i in chosen else ch for i, ch in enumerate(name))


def _full_width(name: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in name)


def _typo(rng: random.Random, name: str, distinctive: str) -> str | None:
    if len(distinctive) < 5:
        return None
    i = rng.randrange(1, len(distinctive) - 1)
    kind = rng.choice(["drop", "swap", "sub", "double"])
    w = distinctive
    if kind == "drop":
        w = w[:i] + w[i + 1 :]
    elif kind == "swap":
        w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    elif kind == "sub":
        w = w[:i] + rng.choice("aeioun") + w[i + 1 :]
    else:
        w = w[:i] + w[i] + w[i:]
    return None if w.lower() == distinctive.lower() else name.replace(distinctive, w, 1)


def _distinctive_words(name: str) -> list[str]:
    return [w for w in name.replace(",", " ").replace("(", " ").replace(")", " ").split()
            if w.isalpha() and w.lower() not in GENERIC_WORDS and len(w) >= 4 and w.lower() not in
            {"company", "limited", "corporation", "technologies", "technology", "information"}]  # fmt: skip


def positives(entries: list[tuple[str, PartyEntry]], rng: random.Random, s2t: OpenCC) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()

    def add(list_id: str, entry: PartyEntry, name: str | None, category: str) -> None:
        # A variant equal to a listed name as written is no variant (the listed Chinese names themselves are
        # kept: they are what the issue asks to match).
        same = name in {n.text for n in listed_names(entry)} and category != "chinese"
        if name and not same and (entry.name, name) not in seen:
            seen.add((entry.name, name))
            out.append({"name": name, "country": entry.countries[0] if entry.countries else "CN",
                        "date": str(entry.added), "list": list_id, "entry": entry.name, "category": category,
                        "expect": "hit" if category in EQUIVALENT else "flag"})  # fmt: skip

    for list_id, entry in entries:
        main = entry.name
        add(list_id, entry, _case(rng, main), "case")
        add(list_id, entry, _punctuation(rng, main), "punctuation")
        add(list_id, entry, _legal(rng, main), "legal-form")
        add(list_id, entry, _spacing(rng, main), "spacing")
        add(list_id, entry, _abbreviation(main), "abbreviation")
        add(list_id, entry, _diacritics(rng, main) if any(c in "aeiou" for c in main) else None, "diacritics")
        add(list_id, entry, _homoglyph(rng, main), "homoglyph")
        add(list_id, entry, _full_width(main), "full-width")
        words = _distinctive_words(main)
        if words:
            add(list_id, entry, _typo(rng, main, rng.choice(words)), "typo")
        add(
            list_id,
            entry,
            f"{main} {rng.choice(['Shenzhen Branch', 'Beijing Representative Office', 'Branch Office'])}",
            "branch",
        )
        if rng.random() < 0.5:
            add(
                list_id,
                entry,
                f"{main} {rng.choice(['Hong Kong', 'Trading', 'R&D Center', 'Holdings', 'Group'])}",
                "extra-words",
            )
        for word, short in _AMBIGUOUS.items():
            if word in main.split():
                add(list_id, entry, main.replace(word, short, 1), "ambiguous-abbreviation")
                break
        for listed in listed_names(entry):
            if not listed.alias:
                continue
            form = analyse(listed.text)[0]
            if form.han:
                add(list_id, entry, listed.text, "chinese")
                if not listed.weak and len(form.compact) > 2:
                    add(list_id, entry, listed.text + rng.choice(["深圳分公司", "北京办事处", "上海分公司"]), "branch")
                traditional = s2t.convert(listed.text)
                if traditional != listed.text:
                    add(list_id, entry, traditional, "traditional")
                for suffix in _HAN_LEGAL:
                    if listed.text.endswith(suffix):
                        add(
                            list_id,
                            entry,
                            listed.text[: -len(suffix)] + rng.choice([s for s in _HAN_LEGAL if s != suffix]),
                            "chinese",
                        )
                        break
            elif listed.text.isupper() and len(listed.text) <= 6:
                add(list_id, entry, ".".join(listed.text) + ".", "acronym")
            else:
                add(list_id, entry, _case(rng, listed.text) + rng.choice(["", " Co., Ltd.", " Limited"]), "alias")
    return out


def _listed_vocabulary(entries: list[tuple[str, PartyEntry]]) -> set[str]:
    vocab: set[str] = set()
    for _list_id, entry in entries:
        for listed in listed_names(entry):
            for form in analyse(listed.text):
                for tok in form.core:
                    if tok.isascii():
                        if tok not in GENERIC_WORDS:
                            vocab.add(tok)
                    else:
                        vocab.update(
                            b for b in (tok[i : i + 2] for i in range(len(tok) - 1)) if b not in HAN_GENERIC_BIGRAMS
                        )
    return vocab


def _unrelated(name: str, vocab: set[str]) -> bool:
    for form in analyse(name):
        for tok in form.core:
            if tok.isascii() and tok in vocab:
                return False
            if not tok.isascii() and any(tok[i : i + 2] in vocab for i in range(len(tok) - 1)):
                return False
    return True


def negatives(entries: list[tuple[str, PartyEntry]], rng: random.Random) -> list[dict[str, object]]:
    vocab = _listed_vocabulary(entries)
    out: list[dict[str, object]] = []
    seen: set[str] = set()

    def add(name: str, country: str, category: str) -> None:
        if name not in seen and _unrelated(name, vocab):
            seen.add(name)
            out.append(
                {"name": name, "country": country, "date": "2026-06-30", "category": category, "expect": "clear"}
            )

    # The listed names with their distinctive word swapped for one at least three edits away.
    pool = [b for b in _BRANDS if b.lower() not in vocab]
    for _list_id, entry in entries:
        for word in _distinctive_words(entry.name):
            far = [b for b in pool if OSA.distance(b.lower(), word.lower()) >= 3 and b[0] == word[0]] or [
                b for b in pool if OSA.distance(b.lower(), word.lower()) >= 3
            ]
            for b in rng.sample(far, min(3, len(far))):
                add(entry.name.replace(word, b, 1), entry.countries[0] if entry.countries else "CN", "swapped-word")
    # Weak aliases inside longer names, and on their own in another country.
    for _list_id, entry in entries:
        for listed in listed_names(entry):
            form = analyse(listed.text)[0]
            weak = listed.weak or (listed.alias and len(form.compact) <= (2 if form.han else 4))
            if not weak:
                continue
            if form.han:
                add(
                    listed.text + rng.choice(["医院", "酒店", "食品有限公司", "物流有限公司"]),
                    "CN",
                    "weak-alias-inside",
                )
                add(rng.choice(_HAN_PLACES) + listed.text + rng.choice(_HAN_TRADES), "CN", "weak-alias-inside")
            else:
                add(f"{rng.choice(_PLACES)} {listed.text} {rng.choice(_TRADES)}", "CN", "weak-alias-inside")
                add(
                    f"{listed.text} {rng.choice(_TRADES)} {rng.choice(_WESTERN_LEGAL)}",
                    rng.choice(["CN", "DE", "US"]),
                    "weak-alias-inside",
                )
            add(
                listed.text,
                rng.choice([c for c in ("US", "DE", "JP", "FR") if c not in entry.countries]),
                "weak-alias-elsewhere",
            )
    for name, country in _REAL:
        add(name, country, "real-company")
    # Unrelated companies in several languages and scripts.
    countries = ["CN", "DE", "US", "JP", "FR", "SG", "IN", "BR", "RU", "KR", "GB", "NL", "PL", "IT", "ES"]
    while len(out) < 1100:
        shape = rng.random()
        if shape < 0.35:
            brand = "".join(rng.sample(_PINYIN, 2)).capitalize()
            name = (
                f"{rng.choice(_PLACES)} {brand} {rng.choice(_TRADES)} {rng.choice(['Co., Ltd.', 'Co Ltd', 'Limited'])}"
            )
            add(name, "CN", "unrelated")
        elif shape < 0.7:
            name = f"{rng.choice(_BRANDS)} {rng.choice(_TRADES)} {rng.choice(_WESTERN_LEGAL)}"
            add(name, rng.choice(countries), "unrelated")
        elif shape < 0.8:
            name = f"{rng.choice(_BRANDS)} {rng.choice(_BRANDS)} {rng.choice(_WESTERN_LEGAL)}"
            add(name, rng.choice(countries), "unrelated")
        elif shape < 0.92:
            name = (
                f"{rng.choice(_HAN_PLACES)}{rng.choice(_HAN_BRANDS)}{rng.choice(_HAN_TRADES)}{rng.choice(_HAN_LEGAL)}"
            )
            add(name, "CN", "unrelated-chinese")
        else:
            add(f"ООО «{rng.choice(_CYRILLIC_BRANDS)}»", "RU", "unrelated-cyrillic")
    return out


def build() -> dict[str, object]:
    packset = load_packs([ROOT / "rules"])
    entries = [(lid, e) for lid, pl in sorted(packset.party_lists.items()) for e in pl.entries]
    rng = random.Random(12)
    pos = positives(entries, rng, OpenCC("s2t"))
    neg = negatives(entries, rng)
    return {
        "kind": "screening-labelled-set",
        "built": str(dt.date(2026, 12, 1)),
        "note": " ".join((__doc__ or "").split()),
        "positives": pos,
        "negatives": neg,
    }


def main() -> None:
    data = build()
    head = {k: v for k, v in data.items() if k not in ("positives", "negatives")}
    lines = [yaml.safe_dump(head, allow_unicode=True, sort_keys=False, width=110).rstrip()]
    for part in ("positives", "negatives"):
        lines.append(f"{part}:")
        for item in data[part]:  # type: ignore[attr-defined]
            flow = yaml.safe_dump(item, allow_unicode=True, sort_keys=False, default_flow_style=True, width=100_000)
            lines.append(f"- {flow.strip()}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(data['positives'])} positives, {len(data['negatives'])} negatives")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
