"""What the normaliser knows about organisation names: legal forms, abbreviations, generic words, look-alikes.

Plain data, no logic. The legal forms follow the shape of ISO 20275 (Entity Legal Forms) and OpenSanctions'
org-type database (rigour): the abbreviated and spelt-out forms of each jurisdiction, compared after the
same folding as the names themselves (lower case, ASCII, no punctuation, single letters joined, so `S.A.`,
`s. a.` and `SA` are all `sa`). Only *legal forms* are dropped from a name's key; words such as `group`,
`holdings` or 集团 are kept, because a listed group and its listed subsidiaries are separate entries
(`Inspur Group` and `Inspur Software`).
"""

from __future__ import annotations

__all__ = [
    "ABBREVIATIONS",
    "BRANCH_WORDS",
    "CONFUSABLES",
    "GENERIC_WORDS",
    "HAN_BRANCH_WORDS",
    "HAN_GENERIC_BIGRAMS",
    "HAN_LEGAL_FORMS",
    "HAN_PLACES",
    "LEGAL_FORMS",
    "PLACES",
    "PREFIX_LEGAL_FORMS",
    "STOPWORDS",
]

# Legal forms as token sequences (after folding). Dropped from the end of a name (repeatedly: `Co., Ltd.` is
# two), and given no weight when names are compared token by token.
_LEGAL_FORM_TEXT = """
co | ltd | co ltd | company | company limited | limited | inc | incorporated | corp | corporation | llc | lc |
plc | llp | lp | lllp | pllc | na | gmbh | mbh | ag | kg | kgaa | ohg | ug | ev | eg | se |
gmbh co kg | ag co kg | gesellschaft mit beschrankter haftung | aktiengesellschaft | kommanditgesellschaft |
sa | sas | sasu | sarl | sca | scs | snc | societe anonyme | societe par actions simplifiee | societe a responsabilite limitee |
spa | srl | sapa | societa per azioni | societa a responsabilita limitata |
sl | slu | sau | sociedad anonima | sociedad limitada | sociedad de responsabilidad limitada | sa de cv | s de rl de cv | ltda | eireli |
bv | nv | cv | vof | besloten vennootschap | naamloze vennootschap |
ab | publ | ab publ | oy | oyj | as | asa | aps | ans | hf | ehf | sf |
sro | spol sro | as | sp zoo | sa | spk | kft | zrt | nyrt | bt | doo | dd | ad | ead | ood | srl | sa |
ooo | oao | zao | pao | ao | jsc | pjsc | ojsc | cjsc | ojs | llp | tov | pat | prat | tdv | fgup | gup | mup |
obshchestvo s ogranichennoi otvetstvennostiu | aktsionernoe obshchestvo | publichnoe aktsionernoe obshchestvo |
zakrytoe aktsionernoe obshchestvo | otkrytoe aktsionernoe obshchestvo |
pte | pte ltd | pty | pty ltd | pvt | pvt ltd | private limited | public company limited | pcl | bhd | sdn bhd | berhad |
tbk | pt | pt tbk | jsc | jsco | fze | fzco | fzc | fzllc | fz llc | wll | spc | saoc | saog | qsc | qpsc | bsc | kscc | ksc |
kk | yk | gk | kabushiki kaisha | kabushikigaisha | godo kaisha | yugen kaisha | chusik hoesa | jusik hoesa | jusikhoesa |
youxian gongsi | gufen youxian gongsi | youxian zeren gongsi | gongsi | youxiangongsi | gufenyouxiangongsi |
ltd co | co inc | inc co | corp ltd | co llc | sa rl
"""

LEGAL_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(part.split()) for part in _LEGAL_FORM_TEXT.replace("\n", " ").split("|") if part.strip()
)

# The legal forms that stand before the name (`OOO Romashka`, `PJSC Gazprom`, `PT Telkom`, `AB Volvo`);
# every other form is dropped only from the end, so `S.A. Holdings` keeps its `sa`.
_PREFIX_FORM_TEXT = """
ooo | oao | zao | pao | ao | jsc | pjsc | ojsc | cjsc | tov | pat | prat | tdv | fgup | gup | mup | pt | ab |
kabushiki kaisha | kabushikigaisha | kk | godo kaisha | yugen kaisha | jusik hoesa | jusikhoesa | chusik hoesa |
obshchestvo s ogranichennoi otvetstvennostiu | aktsionernoe obshchestvo | publichnoe aktsionernoe obshchestvo |
zakrytoe aktsionernoe obshchestvo | otkrytoe aktsionernoe obshchestvo
"""
PREFIX_LEGAL_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(part.split()) for part in _PREFIX_FORM_TEXT.replace("\n", " ").split("|") if part.strip()
)

# Chinese, Japanese and Korean legal forms in their own script, longest first (matched as a suffix or a
# whole run of Han characters). 集团 (group) is not one: see the module docstring.
HAN_LEGAL_FORMS: tuple[str, ...] = tuple(
    sorted(
        """
        股份有限公司 有限责任公司 有限公司 股份公司 责任公司 公司 有限会社 株式会社 合同会社 合资会社 合名会社
        """.split(),
        key=len,
        reverse=True,
    )
)

# Joining words that carry no identity: `Gibbs & Cox` is `Gibbs and Cox` is `Gibbs Cox`.
STOPWORDS: frozenset[str] = frozenset("and the of und et".split())

# Spellings of one word, mapped to one form. Only unambiguous abbreviations and plural forms: `Elec.` could
# be electric or electronics and is left to fuzzy matching (a prefix abbreviation scores high, as review).
_ABBREVIATION_TEXT = """
technology: tech techn technol technologies techs tecnologia technologie technologies
international: intl internatl internat internationale
manufacturing: mfg manuf mfr manufacture manufactures manufacturer
information: info infor informations
industry: industries inds
electronic: electronics
system: systems sys
service: services svc svcs
science: sciences sci
communication: communications
semiconductor: semiconductors semi semicon
holding: holdings hldgs hldg
product: products
solution: solutions
network: networks
material: materials
university: univ
institute: instit
national: natl
association: assn assoc
management: mgmt
group: grp
development: devel
engineering: engg
laboratory: laboratories lab labs
brother: brothers bros
microelectronic: microelectronics microelec
"""

ABBREVIATIONS: dict[str, str] = {
    variant: canonical
    for line in _ABBREVIATION_TEXT.strip().splitlines()
    for canonical, variants in [line.split(":")]
    for variant in [canonical, *variants.split()]
}

# Words that say little about who a party is: places, and the vocabulary of company names. They still
# count when names are compared, at a low weight, so that `Shanghai Sunhua Technology` is not taken for
# `Shanghai Suanhu Technology` because both are Shanghai technology companies.
PLACES: frozenset[str] = frozenset(
    """
    beijing shanghai shenzhen tianjin tianjing chengdu wuhan wuxi xiamen fujian jiangsu henan qingdao nanjing
    kunshan xian hangzhou guangzhou guangdong chongqing suzhou hefei anhui hubei hunan sichuan shandong zhejiang
    liaoning shenyang dalian changsha zhengzhou jinan harbin xinjiang yunnan guangxi hainan macau macao taiwan
    hong kong hongkong china chinese prc zhongguo america american usa us japan japanese korea korean germany
    german deutschland france french europe european asia asian pacific singapore malaysia india russia
    russian uk britain british global world international national east west north south northern southern
    eastern western central new tokyo osaka seoul moscow dubai london paris munich frankfurt hamburg
    """.split()
)

GENERIC_WORDS: frozenset[str] = PLACES | frozenset(
    """
    technology information industry electronic system service science communication semiconductor holding
    product solution network material university institute national association management group development
    engineering laboratory manufacturing microelectronic integrated circuit computer computing digital data
    software hardware intelligent intelligence smart artificial ai research academy center centre trading trade
    import export investment capital finance financial bank energy power electric electrical equipment
    machinery machine instrument precision optical optics photonics device devices component components micro
    nano advanced innovation innovative creative design consulting industrial commercial enterprise enterprises
    defense defence aerospace aviation space security marine shipbuilding heavy light chemical chemicals
    metal metals mining mineral minerals resource resources logistics transport shipping supply supplies
    partner partners associates general first united universal royal star sun dragon great grand golden
    quantum cloud internet online web media applied standard premier prime plus pro co op branch office
    factory plant works shop store department
    """.split()
)

# Words that make a name a branch or office of a company: not a separate legal person, so `Huawei
# Technologies Co., Ltd. Shenzhen Branch` is Huawei Technologies Co., Ltd. (places may stand before them).
BRANCH_WORDS: frozenset[tuple[str, ...]] = frozenset(
    tuple(p.split())
    for p in "branch | branch office | representative office | rep office | liaison office | office | filiale | "
    "niederlassung | succursale | sucursal | zweigniederlassung".split("|")
)
HAN_BRANCH_WORDS: tuple[str, ...] = ("分公司", "办事处", "代表处", "分部")
HAN_PLACES: tuple[str, ...] = tuple(
    "北京 上海 深圳 天津 成都 武汉 无锡 厦门 福建 江苏 河南 青岛 南京 昆山 西安 杭州 广州 广东 重庆 苏州 合肥 香港 澳门 台湾 中国".split()
)

# Letters of other scripts that look like Latin ones (Unicode's confusables, the homoglyphs seen in
# evasion): folded *by shape* inside a word that mixes them with Latin letters (`Hu\u0430wei` with a Cyrillic a).
# A word wholly in Cyrillic or Greek is transliterated by sound instead (anyascii), and also tried by shape.
CONFUSABLES: dict[str, str] = {
    "\u0410": "A",  # Cyrillic Capital Letter A
    "\u0412": "B",  # Cyrillic Capital Letter Ve
    "\u0415": "E",  # Cyrillic Capital Letter Ie
    "\u041a": "K",  # Cyrillic Capital Letter Ka
    "\u041c": "M",  # Cyrillic Capital Letter Em
    "\u041d": "H",  # Cyrillic Capital Letter En
    "\u041e": "O",  # Cyrillic Capital Letter O
    "\u0420": "P",  # Cyrillic Capital Letter Er
    "\u0421": "C",  # Cyrillic Capital Letter Es
    "\u0422": "T",  # Cyrillic Capital Letter Te
    "\u0423": "Y",  # Cyrillic Capital Letter U
    "\u0425": "X",  # Cyrillic Capital Letter Ha
    "\u0405": "S",  # Cyrillic Capital Letter Dze
    "\u0406": "I",  # Cyrillic Capital Letter Byelorussian-Ukrainian I
    "\u0408": "J",  # Cyrillic Capital Letter Je
    "\u04ae": "Y",  # Cyrillic Capital Letter Straight U
    "\u051a": "Q",  # Cyrillic Capital Letter Qa
    "\u051c": "W",  # Cyrillic Capital Letter We
    "\u04c0": "I",  # Cyrillic Letter Palochka
    "\u0430": "a",  # Cyrillic Small Letter A
    "\u0432": "b",  # Cyrillic Small Letter Ve
    "\u0435": "e",  # Cyrillic Small Letter Ie
    "\u043a": "k",  # Cyrillic Small Letter Ka
    "\u043c": "m",  # Cyrillic Small Letter Em
    "\u043d": "h",  # Cyrillic Small Letter En
    "\u043e": "o",  # Cyrillic Small Letter O
    "\u0440": "p",  # Cyrillic Small Letter Er
    "\u0441": "c",  # Cyrillic Small Letter Es
    "\u0442": "t",  # Cyrillic Small Letter Te
    "\u0443": "y",  # Cyrillic Small Letter U
    "\u0445": "x",  # Cyrillic Small Letter Ha
    "\u0455": "s",  # Cyrillic Small Letter Dze
    "\u0456": "i",  # Cyrillic Small Letter Byelorussian-Ukrainian I
    "\u0458": "j",  # Cyrillic Small Letter Je
    "\u04af": "y",  # Cyrillic Small Letter Straight U
    "\u051b": "q",  # Cyrillic Small Letter Qa
    "\u051d": "w",  # Cyrillic Small Letter We
    "\u04cf": "l",  # Cyrillic Small Letter Palochka
    "\u0501": "d",  # Cyrillic Small Letter Komi De
    "\u04bb": "h",  # Cyrillic Small Letter Shha
    "\u0261": "g",  # Latin Small Letter Script G
    "\u0391": "A",  # Greek Capital Letter Alpha
    "\u0392": "B",  # Greek Capital Letter Beta
    "\u0395": "E",  # Greek Capital Letter Epsilon
    "\u0396": "Z",  # Greek Capital Letter Zeta
    "\u0397": "H",  # Greek Capital Letter Eta
    "\u0399": "I",  # Greek Capital Letter Iota
    "\u039a": "K",  # Greek Capital Letter Kappa
    "\u039c": "M",  # Greek Capital Letter Mu
    "\u039d": "N",  # Greek Capital Letter Nu
    "\u039f": "O",  # Greek Capital Letter Omicron
    "\u03a1": "P",  # Greek Capital Letter Rho
    "\u03a4": "T",  # Greek Capital Letter Tau
    "\u03a5": "Y",  # Greek Capital Letter Upsilon
    "\u03a7": "X",  # Greek Capital Letter Chi
    "\u03b1": "a",  # Greek Small Letter Alpha
    "\u03b9": "i",  # Greek Small Letter Iota
    "\u03ba": "k",  # Greek Small Letter Kappa
    "\u03bd": "v",  # Greek Small Letter Nu
    "\u03bf": "o",  # Greek Small Letter Omicron
    "\u03c1": "p",  # Greek Small Letter Rho
    "\u03c4": "t",  # Greek Small Letter Tau
    "\u03c5": "u",  # Greek Small Letter Upsilon
    "\u03c7": "x",  # Greek Small Letter Chi
    "\u0131": "i",  # Latin Small Letter Dotless I
    "\u0237": "j",  # Latin Small Letter Dotless J
    "\u0251": "a",  # Latin Small Letter Alpha
    "\u0269": "i",  # Latin Small Letter Iota
    "\u0280": "r",  # Latin Letter Small Capital R
    "\ua7b5": "b",  # Latin Small Letter Beta
    "\u0585": "o",  # Armenian Small Letter Oh
    "\u057d": "u",  # Armenian Small Letter Seh
    "\u0570": "h",  # Armenian Small Letter Ho
    "\u0578": "n",  # Armenian Small Letter Vo
}

# Two-character words of Chinese company names that say little about who a party is (places, "technology",
# "information", "group", ...): the Han counterpart of GENERIC_WORDS, at the same low weight.
HAN_GENERIC_BIGRAMS: frozenset[str] = frozenset(
    """
    北京 上海 深圳 天津 成都 武汉 无锡 厦门 福建 江苏 河南 青岛 南京 昆山 西安 杭州 广州 广东 重庆 苏州 合肥 香港 澳门 台湾
    中国 中华 国际 全球 科技 技术 信息 电子 集团 控股 实业 工业 产业 贸易 软件 数据 网络 通信 半导 导体 集成 电路 微电
    研究 研究院 智能 计算 发展 投资 股份 有限 公司 责任 中心 设备 系统 材料 制造 工程 服务 国家 中科 科学 学院 大学
    """.split()
)
