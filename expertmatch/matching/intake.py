# ruff: noqa: E501  (bilingual rule tables: Chinese characters count double in line width)
"""The intake reader: dispute type, forum, jurisdictions, industry, languages and parties read
from a case's free text, in Chinese and English.

Enterprises often describe their problem in a paragraph and leave the structured fields empty or
wrong ("our distributor registered our brand in Mexico" is trademark squatting; "a letter from
the ITC" is a Section 337 investigation). The reader works in two layers:

1. **Rules and the glossary first.** Weighted patterns per dispute type and industry, a
   gazetteer of countries, courts, offices and platforms (English and Chinese), a table of
   forums, and name patterns for counterparties. Each value keeps the words it came from.
2. **A classifier where rules run out.** A logistic regression over character 1-4-grams of the
   text *plus its glossary translation* (so the English and Chinese examples teach one model),
   trained on the written set in ``data/intake/descriptions.jsonl`` and on corrections made by
   coordinators. For dispute type and industry the rule scores and the classifier's probabilities
   are blended; with no rule hit the classifier alone decides.

Training takes well under a second at this size, so :meth:`IntakeReader.from_data` trains at
load; everything is deterministic (fixed solver, sorted inputs). Confidences are in [0, 1]:
:func:`apply_reading` fills only a case's *empty* fields and records the confidence of each in
``CaseDoc.field_confidence``, which the structured channel uses to weight their evidence.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from expertmatch.matching.documents import CaseDoc, Party, detect_language
from expertmatch.matching.entities import CommonParties, to_simplified
from expertmatch.matching.errors import InputError
from expertmatch.matching.lexical import Glossary
from expertmatch.vocabulary import DISPUTE_TYPES, INDUSTRIES

__all__ = [
    "FIELDS",
    "Inferred",
    "IntakeExample",
    "IntakeReader",
    "IntakeReading",
    "apply_reading",
    "example_from_dict",
    "load_examples",
    "strip_structure",
]

FIELDS = ("dispute_type", "forum", "jurisdictions", "industry", "languages", "counterparties")
LIST_FIELDS = frozenset({"jurisdictions", "languages", "counterparties"})
# Below this a value is not suggested at all; between it and 1 it is offered as a suggestion.
MIN_CONFIDENCE = {"dispute_type": 0.3, "industry": 0.35, "jurisdictions": 0.5, "forum": 0.5}


@dataclass(frozen=True)
class Inferred:
    """One value read from the text, how sure the reader is, and the words it came from."""

    value: str
    confidence: float
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class IntakeReading:
    """Everything read from one case's text; a field is ``None`` / empty when nothing was read."""

    dispute_type: Inferred | None = None
    forum: Inferred | None = None
    jurisdictions: tuple[Inferred, ...] = ()
    industry: Inferred | None = None
    languages: tuple[Inferred, ...] = ()
    counterparties: tuple[Inferred, ...] = ()

    def to_dict(self, case_id: str | None = None) -> dict[str, Any]:
        """The JSON object of ``expertmatch read``: each field a value or a list of values."""
        out: dict[str, Any] = {} if case_id is None else {"case_id": case_id}
        for name in FIELDS:
            value = getattr(self, name)
            if name in LIST_FIELDS:
                out[name] = [v.to_dict() for v in value]
            else:
                out[name] = value.to_dict() if value is not None else None
        return out

    def values(self, name: str) -> list[str]:
        """The plain values of one field (a list even for single-valued fields)."""
        value = getattr(self, name)
        if name in LIST_FIELDS:
            return [v.value for v in value]
        return [value.value] if value is not None else []


# ---------------------------------------------------------------------------------------------
# Rule tables. Patterns are matched case-insensitively on NFKC, simplified-Chinese text. Each
# pattern carries a weight: strong cues ("Schedule A", "抢注", "337") outweigh weak ones
# ("brand", "patent") that appear in many kinds of dispute.

_Rule = tuple[str, float, str]  # (code, weight, pattern)

DISPUTE_RULES: tuple[_Rule, ...] = (
    ("sep_frand", 3.0, r"standard[- ]essential|essential (?:cellular |wi-fi )?patents?|\bseps?\b"),
    (
        "sep_frand",
        3.0,
        r"标准必要专利|标准专利|必要专利|\bfrand\b|公平合理无歧视|unwilling licensee|不愿意的被许可人",
    ),
    (
        "sep_frand",
        1.2,
        r"\b(?:[345]g|lte(?:-m)?|5g nr|nb-iot|hevc|802\.11|wi-fi 6?)\b|蜂窝|视频编码",
    ),
    (
        "sep_frand",
        1.0,
        r"patent pool|专利池|global (?:frand )?rate|全球.{0,6}费率|licensing platform",
    ),
    ("patent_infringement", 1.2, r"\bpatents?\b|专利|utility model|实用新型"),
    (
        "patent_infringement",
        0.8,
        r"infring|侵权|prior art|现有技术|invalid|无效|opposition at the epo|向欧洲专利局",
    ),
    (
        "patent_infringement",
        1.5,
        r"european patent office|\bepo\b|欧洲专利局|hatch-waxman|\banda\b|仿制药申请|saisie-contrefa|侵权扣押",
    ),
    (
        "trade_secret",
        3.0,
        r"trade secrets?|商业秘密|技术秘密|\bdtsa\b|breach of confidence|保密义务|misappropriat|窃密|泄密",
    ),
    (
        "trade_secret",
        1.5,
        (
            r"confidential|保密|know-how|技术诀窍|former (?:employee|engineer|cto)|前员工|离职|跳槽|"
            r"took .{0,20}files|带走|下载了|source code|源代码"
        ),
    ),
    ("trademark", 2.0, r"trade ?marks?|商标|\bbrand registry\b"),
    (
        "trademark",
        3.0,
        r"squat|抢注|registered our (?:brand|trademark|logo)|注册了我们的|注册到了自己名下|以自己名义.{0,8}注册",
    ),
    ("trademark", 3.0, r"domain names?|域名|\budrp\b|cybersquat|phishing|钓鱼"),
    (
        "trademark",
        1.5,
        (
            r"\bimpi\b|\binpi\b|\buspto\b|\beuipo\b|知识产权局|工业产权局|专利商标局|bad[- ]faith|恶意注册|"
            r"opposition|异议|cancel|撤销"
        ),
    ),
    ("trademark", 0.6, r"\bbrand\b|品牌|\blogo\b|标志"),
    (
        "ecommerce",
        3.0,
        (
            r"schedule a|附表a?|asset (?:freeze|restraint)|资产(?:冻结|限制令)|frozen|froze|冻结|"
            r"restraining order|\btro\b|临时限制令"
        ),
    ),
    (
        "ecommerce",
        1.5,
        (
            r"seller account|卖家账户|\bstore\b|店铺|网店|小店|独立站|listings?|下架|商品被|takedown|"
            r"multi-defendant|多被告|default judgment|缺席判决"
        ),
    ),
    (
        "ecommerce",
        1.0,
        (
            r"amazon|亚马逊|\bebay\b|walmart|沃尔玛|\btemu\b|shopify|paypal|stripe|aliexpress|速卖通|"
            r"tiktok|\bwish\b|marketplace|电商平台|digital services act|数字服务法|ip complaints|知识产权投诉"
        ),
    ),
    (
        "itc337",
        4.0,
        (
            r"\bitc\b|\busitc\b|international trade commission|国际贸易委员会|trade commission|贸易委员会|"
            r"\b337\b|337调查|337案"
        ),
    ),
    (
        "itc337",
        1.5,
        r"exclusion order|排除令|ban (?:the )?imports|禁止(?:我们的.{0,8})?进口|notice of investigation|立案调查",
    ),
    (
        "customs",
        3.0,
        r"customs|海关|\bcbp\b|border force|边境部队|\bzoll\b|border measure|边境措施",
    ),
    (
        "customs",
        1.5,
        (
            r"detain|detention|扣留|扣货|扣下|查扣|seiz|没收|application for action|保护申请|denied entry|"
            r"入境|container|集装箱|货柜|shipment|port of|港"
        ),
    ),
    ("copyright", 3.0, r"copyright|版权|著作权|\bdmca\b|\bgpl\b|open source|开源"),
    (
        "copyright",
        1.5,
        (
            r"photograph|photos?\b|照片|artwork|美术作品|characters?|角色|anime|动漫|music|歌曲|songs|"
            r"books|书籍|training data|训练"
        ),
    ),
    (
        "licensing_arbitration",
        3.0,
        r"arbitration|仲裁|\bicc\b|\bsiac\b|\bhkiac\b|\blcia\b|\bcietac\b|\baaa\b|\bdis\b",
    ),
    (
        "licensing_arbitration",
        1.5,
        (
            r"licen[cs]e (?:agreement|contract|fees?)|许可合同|许可费|royalt|milestone|里程碑|audit|审计|"
            r"mediation|调解|technology transfer|技术转让|terminate|解除|licensee|被许可人|licensor|许可方"
        ),
    ),
)

INDUSTRY_RULES: tuple[_Rule, ...] = (
    (
        "telecom",
        2.0,
        (
            r"\bphones?\b|handsets?|smartphones?|手机|tablets?|平板|routers?|路由器|base station|基站|"
            r"\b5g\b|\blte\b|\b4g\b|telecom|通信|phishing"
        ),
    ),
    (
        "automotive",
        2.0,
        (
            r"\bcars?\b|vehicles?|汽车|车企|整车|车联网|车载|telematics|\bev\b|电动车|auto ?parts|汽车配件|"
            r"汽车零部件|brake|刹车|制动|tyres?|轮胎|motorcycle|摩托车|lidar|激光雷达|self-driving|自动驾驶|engine|"
            r"发动机"
        ),
    ),
    ("photovoltaics", 3.0, r"solar|光伏|photovoltaic|topcon|inverters?|逆变器|wafers?|硅片"),
    (
        "semiconductors",
        3.0,
        r"\bchips?\b|芯片|semiconductor|半导体|memory|内存|存储控制|\bled chips?\b|chipmaker|wafer",
    ),
    (
        "consumer_goods",
        1.2,
        (
            r"phone cases?|手机壳|toys?|玩具|shoes|sneakers|鞋|bags?|handbags|包|cosmetics|化妆品|"
            r"perfume|香水|jewell?ery|首饰|t-shirts?|t恤|sportswear|运动服装|pet products|宠物|bottle|"
            r"保温杯|plush|毛绒|dresses|连衣裙|fabric|面料|headphones|耳机|tea|茶叶|knives|刀具|e-bikes?|"
            r"电动自行车|scooters?|滑板车|平衡车|hoverboard|e-cigarettes|电子烟|lamp|台灯|phone holders?|手机支架|"
            r"fan|风扇"
        ),
    ),
    (
        "pharma",
        3.0,
        r"pharma|药|drugs?|generic|\banda\b|\bapi\b|biotech|生物技术|medicines?|formulation|制剂",
    ),
    (
        "machinery",
        2.0,
        (
            r"machines?|machinery|机械|机器|机床|packaging line|包装|excavators?|挖掘机|tractors?|拖拉机|"
            r"pumps?|水泵|generators?|发电机|drilling|钻机|robot arm|机械臂|reducers?|减速器|cnc|数控|"
            r"spare parts|备件|agricultural|农机|water meters?|水表|manufacturing know-how|生产工艺"
        ),
    ),
    (
        "software_ai",
        3.0,
        (
            r"software|软件|\bapps?\b|应用|\bai\b|人工智能|algorithm|算法|source code|源代码|game|游戏|"
            r"streaming|流媒体|video app|短视频|firmware|固件|image recognition|图像识别|\bcad\b"
        ),
    ),
    (
        "batteries",
        3.0,
        (
            r"batter(?:y|ies)|电池|电芯|energy storage|储能|power banks?|移动电源|power station|户外电源|"
            r"electrolyte|电解液|cathode|正极|separator|隔膜"
        ),
    ),
    (
        "medical_devices",
        3.0,
        (
            r"medical devices?|医疗器械|ultrasound|超声|stents?|支架|insulin|胰岛素|glucose|血糖|"
            r"blood pressure|血压|surgical"
        ),
    ),
    ("chemicals", 3.0, r"chemical|化工|coating|涂料|涂层|adhesive|胶粘剂|materials?|材料|formula"),
    (
        "home_appliances",
        2.5,
        (
            r"appliances?|家电|air fryers?|空气炸锅|air conditioners?|空调|fridges?|refrigerators?|冰箱|"
            r"blenders?|料理机|vacuum|扫地机器人|coffee machines?|咖啡机|water heaters?|热水器|lawn mowers?|"
            r"割草机|air purifiers?|空气净化器|led lamps?|led灯|kitchen appliances|厨房电器"
        ),
    ),
)

# Jurisdiction gazetteer: (code, confidence, pattern). Countries by name, demonym, capital and the
# cities / courts / offices that name them; forums by name. A weak cue (a marketplace) has a
# lower confidence than a named court.
JURISDICTION_RULES: tuple[tuple[str, float, str], ...] = (
    (
        "USITC",
        0.95,
        (
            r"\bitc\b|\busitc\b|international trade commission|国际贸易委员会|trade commission|贸易委员会|"
            r"\b337\b|337调查|337案件?"
        ),
    ),
    (
        "US",
        0.9,
        (
            r"\bunited states\b|\bamerican?\b|美国|\buspto\b|\bcbp\b|\bfbi\b|\bdmca\b|\bdtsa\b|"
            r"\banda\b|hatch-waxman|\baaa\b|illinois|伊利诺伊|chicago|芝加哥|florida|佛罗里达|texas|得克萨斯|"
            r"德州|california|加州|delaware|特拉华|new york|纽约|new jersey|新泽西|massachusetts|马萨诸塞|"
            r"virginia|弗吉尼亚|washington|华盛顿|los angeles|洛杉矶|schedule a|附表a"
        ),
    ),
    (
        "US",
        0.6,
        (
            r"amazon us|亚马逊美国|walmart|沃尔玛|temu|shopify|paypal|aliexpress|速卖通|tiktok|\bwish\b|"
            r"\bebay\b|亚马逊(?!英国|德国|沙特)|amazon(?!\.de| uk| saudi)"
        ),
    ),
    (
        "UPC",
        0.95,
        r"unified patent court|\bupc\b|统一专利法院|european patent court|欧洲统一专利法院|欧洲新的专利法院",
    ),
    ("EPO", 0.95, r"european patent office|\bepo\b|欧洲专利局"),
    ("EUIPO", 0.95, r"\beuipo\b|eu trademark|欧盟知识产权局|欧盟商标"),
    ("WIPO", 0.9, r"\bwipo\b|世界知识产权组织|\budrp\b|domain names?|域名"),
    (
        "EU",
        0.8,
        r"\beu\b|european union|欧盟|european marketplaces|欧洲电商平台|digital services act|数字服务法",
    ),
    (
        "DE",
        0.9,
        (
            r"german[y]?|\bgermany\b|德国|munich|münchen|慕尼黑|mannheim|曼海姆|düsseldorf|dusseldorf|"
            r"杜塞尔多夫|hamburg|汉堡|frankfurt|法兰克福|cologne|köln|科隆|\bzoll\b|amazon\.de|亚马逊德国"
        ),
    ),
    (
        "GB",
        0.9,
        (
            r"\buk\b|united kingdom|britain|british|england|english patents court|英国|london|"
            r"伦敦|(?<!delhi )high court|patents court|\blcia\b|border force|felixstowe|费利克斯托"
        ),
    ),
    ("FR", 0.9, r"\bfrance\b|french|法国|paris|巴黎|le havre|勒阿弗尔|saisie"),
    ("NL", 0.9, r"netherlands|dutch|荷兰|the hague|海牙|rotterdam|鹿特丹"),
    ("BE", 0.9, r"belgi(?:um|an)|比利时|antwerp|安特卫普"),
    ("IT", 0.9, r"\bital(?:y|ian)\b|意大利|genoa|热那亚|milan"),
    ("ES", 0.9, r"\bspain\b|spanish customs|西班牙|valencia|瓦伦西亚"),
    ("SE", 0.9, r"sweden|swedish|瑞典|stockholm|斯德哥尔摩"),
    ("CH", 0.9, r"switzerland|swiss|瑞士|zurich|苏黎世"),
    ("JP", 0.9, r"\bjapan(?:ese)?\b|日本|tokyo|东京|osaka|大阪"),
    ("KR", 0.9, r"\bkorea(?:n)?\b|韩国|seoul|首尔|\bkipo\b|韩国特许厅|hangul|韩文"),
    ("IN", 0.9, r"\bindia(?:n)?\b|印度|delhi|德里"),
    ("SG", 0.9, r"singapore|新加坡|\bsiac\b"),
    ("HK", 0.9, r"hong kong|香港|\bhkiac\b"),
    ("VN", 0.9, r"vietnam(?:ese)?|越南"),
    ("TH", 0.9, r"\bthai(?:land)?\b|泰国"),
    ("ID", 0.9, r"indonesia(?:n)?|印尼|印度尼西亚|jakarta|雅加达"),
    ("PH", 0.9, r"philippine[s]?|菲律宾"),
    ("MX", 0.95, r"mexic(?:o|an)|méxico|墨西哥|\bimpi\b|manzanillo|曼萨尼约"),
    ("BR", 0.95, r"brazil(?:ian)?|巴西|\binpi\b|santos|桑托斯|rio de janeiro|里约"),
    ("AR", 0.9, r"argentin(?:a|e|ian)|阿根廷"),
    ("CL", 0.9, r"\bchile(?:an)?\b|智利"),
    ("CO", 0.9, r"colombia(?:n)?|哥伦比亚|bogotá|bogota|波哥大"),
    ("PE", 0.9, r"\bperu(?:vian)?\b|秘鲁"),
    ("TR", 0.9, r"turk(?:ey|ish)|türkiye|土耳其"),
    ("AE", 0.9, r"\buae\b|emirates|阿联酋|dubai|迪拜"),
    ("SA", 0.9, r"saudi|沙特"),
    ("RU", 0.9, r"russia(?:n)?|俄罗斯"),
    ("AU", 0.9, r"australia(?:n)?|澳大利亚"),
    ("CA", 0.9, r"\bcanad(?:a|ian)\b|加拿大"),
    (
        "CN",
        0.85,
        r"\bin china\b|chinese court|\bcietac\b|beijing|北京|在国内|国内法院|国内起诉|中国国际经济贸易仲裁|"
        r"人民法院|知识产权法院|people's court|intellectual property court",
    ),
)

# Forums a case names, most specific first: (pattern, forum as written in the case JSONL).
FORUM_RULES: tuple[tuple[str, str], ...] = (
    (
        r"\bitc\b|\busitc\b|international trade commission|国际贸易委员会|trade commission|贸易委员会|\b337\b",
        "U.S. International Trade Commission (Section 337)",
    ),
    (
        r"unified patent court|\bupc\b|统一专利法院|european patent court|欧洲新的专利法院",
        "Unified Patent Court",
    ),
    (r"european patent office|\bepo\b|欧洲专利局", "European Patent Office (opposition)"),
    (r"\beuipo\b|欧盟知识产权局", "EUIPO"),
    (r"\budrp\b|domain names?|域名", "WIPO Arbitration and Mediation Center (UDRP)"),
    (r"\bimpi\b|墨西哥工业产权局", "Instituto Mexicano de la Propiedad Industrial (IMPI)"),
    (r"\binpi\b|巴西工业产权局", "INPI Brazil"),
    (r"\buspto\b|美国专利商标局", "USPTO"),
    (r"\bcbp\b|us customs|u\.s\. customs|美国海关", "U.S. Customs and Border Protection (CBP)"),
    (
        r"northern district of illinois|illinois|伊利诺伊|chicago|芝加哥|schedule a|附表a",
        "U.S. District Court for the Northern District of Illinois",
    ),
    (
        r"southern district of florida|florida|佛罗里达",
        "U.S. District Court for the Southern District of Florida",
    ),
    (
        r"eastern district of texas|得克萨斯东区",
        "U.S. District Court for the Eastern District of Texas",
    ),
    (
        r"western district of texas|得克萨斯西区",
        "U.S. District Court for the Western District of Texas",
    ),
    (r"district of delaware|delaware|特拉华", "U.S. District Court for the District of Delaware"),
    (r"munich|münchen|慕尼黑", "Landgericht München I (Regional Court Munich I)"),
    (r"mannheim|曼海姆", "Landgericht Mannheim (Regional Court Mannheim)"),
    (r"düsseldorf|dusseldorf|杜塞尔多夫", "Landgericht Düsseldorf (Regional Court Düsseldorf)"),
    (
        r"patents court|high court in london|伦敦高等法院|英国专利法院",
        "High Court of Justice (England and Wales), Patents Court",
    ),
    (r"the hague|海牙", "District Court of The Hague"),
    (r"delhi high court|德里高等法院|德里高院", "Delhi High Court"),
    (r"\bicc\b|国际商会", "ICC International Court of Arbitration"),
    (r"\bsiac\b|新加坡国际仲裁中心", "Singapore International Arbitration Centre (SIAC)"),
    (
        r"\bhkiac\b|hong kong international arbitration|香港国际仲裁中心",
        "Hong Kong International Arbitration Centre",
    ),
    (r"\blcia\b|伦敦国际仲裁院", "London Court of International Arbitration (LCIA)"),
    (r"\bcietac\b|中国国际经济贸易仲裁委员会", "CIETAC"),
)

# Official languages a jurisdiction adds to the languages a case needs.
JURISDICTION_LANGUAGES: dict[str, tuple[str, ...]] = {
    "DE": ("de",), "AT": ("de",), "CH": ("de",), "FR": ("fr",), "BE": ("nl", "fr"),
    "NL": ("nl",), "IT": ("it",), "ES": ("es",), "MX": ("es",), "AR": ("es",), "CL": ("es",),
    "CO": ("es",), "PE": ("es",), "BR": ("pt",), "PT": ("pt",), "JP": ("ja",), "KR": ("ko",),
    "VN": ("vi",), "TH": ("th",), "ID": ("id",), "SE": ("sv",), "FI": ("fi",), "PL": ("pl",),
    "TR": ("tr",), "AE": ("ar",), "SA": ("ar",), "RU": ("ru",),
}  # fmt: skip

EU_MEMBERS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

_EN_COMPANY = re.compile(
    r"\b((?:[A-Z][\w&'’.-]*\s){1,4}"
    r"(?:Co\., Ltd|Inc|L\.L\.C|LLC|Ltd|Limited|GmbH|AG|Oy|AB|SA|S\.A|SAS|BV|B\.V|Corp|Corporation|Co|KG|plc|S\.p\.A|LLP|Holdings)\b\.?)"
)
_ZH_COMPANY = re.compile(
    r"([\u4e00-\u9fffA-Za-z（）()]{2,16}?(?:有限责任公司|有限公司|股份公司|株式会社|集团))"
)
_US = re.compile(r"\b(?:US|USA|U\.S\.)(?![\w])")
_OWN = re.compile(r"^(?:我司|我们|本公司|我方|我们公司|公司)")


@dataclass(frozen=True)
class IntakeExample:
    """One written intake description with the structure a person read from it."""

    id: str
    lang: str
    text: str
    dispute_type: str
    jurisdictions: tuple[str, ...] = ()
    industry: str | None = None
    counterparties: tuple[str, ...] = ()
    split: str = "train"


def example_from_dict(d: Mapping[str, Any]) -> IntakeExample:
    """An example from one line of ``data/intake/descriptions.jsonl`` or of exported corrections."""
    if not isinstance(d, Mapping):
        raise InputError("expected a JSON object")
    text = " ".join(str(d.get(k) or "") for k in ("title", "description")).strip()
    dispute = d.get("dispute_type")
    if not d.get("id") or not text:
        raise InputError("an example needs 'id' and 'title' / 'description'")
    if dispute not in DISPUTE_TYPES:
        raise InputError(f"example {d.get('id')}: unknown dispute_type {dispute!r}")
    industry = d.get("industry")
    if industry is not None and industry not in INDUSTRIES:
        raise InputError(f"example {d.get('id')}: unknown industry {industry!r}")
    return IntakeExample(
        id=str(d["id"]),
        lang=str(d.get("lang") or detect_language(text)),
        text=text,
        dispute_type=dispute,
        jurisdictions=tuple(str(j).upper() for j in d.get("jurisdictions") or ()),
        industry=industry,
        counterparties=tuple(str(p) for p in d.get("counterparties") or ()),
        split=str(d.get("split") or "train"),
    )


def load_examples(path: str | Path) -> list[IntakeExample]:
    """All examples of a JSON Lines file; a bad line raises :class:`InputError` with its number."""
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(example_from_dict(json.loads(line)))
        except (ValueError, InputError) as exc:
            message = exc.message if isinstance(exc, InputError) else str(exc)
            raise InputError(f"{path}:{number}: {message}") from None
    return out


def _normalise(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def _compile(rules: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*rule[:-1], re.compile(rule[-1], re.IGNORECASE)) for rule in rules]


class _TextClassifier:
    """Logistic regression over character 1-4-grams of text + glossary translation."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=2
        )
        matrix = self.vectorizer.fit_transform(texts)
        # One-vs-rest liblinear: deterministic and ~30x faster than multinomial lbfgs here.
        self.model = OneVsRestClassifier(LogisticRegression(C=20.0, solver="liblinear"))
        self.model.fit(matrix, list(labels))
        self.classes = [str(c) for c in self.model.classes_]
        self.features = self.vectorizer.get_feature_names_out()

    def proba(self, text: str) -> tuple[dict[str, float], Any]:
        row = self.vectorizer.transform([text])
        probs = self.model.predict_proba(row)[0]
        return dict(zip(self.classes, (float(p) for p in probs), strict=True)), row

    def evidence(self, row: Any, label: str, source: str) -> str:
        """The text words around the n-grams that pushed hardest towards ``label``."""
        k = self.classes.index(label)
        estimators = self.model.estimators_
        coef = (estimators[k] if len(estimators) > 1 else estimators[0]).coef_[0]
        if len(estimators) == 1 and k == 0:
            coef = -coef
        cols = row.indices
        contrib = row.data * coef[cols]
        words: list[str] = []
        for idx in np.argsort(-contrib)[:8]:
            gram = self.features[cols[idx]].strip()
            if len(gram) < 2 or contrib[idx] <= 0:
                continue
            word = _word_around(source, gram)
            if word and word not in words:
                words.append(word)
            if len(words) == 3:
                break
        return ", ".join(words)


def _word_around(source: str, gram: str) -> str | None:
    """The source word (or the Chinese run) containing the n-gram ``gram``."""
    low = _normalise(source)
    at = low.find(gram)
    if at < 0:
        return None
    if re.match(r"[\u3400-\u9fff]", gram):
        return source[at : at + len(gram)]
    start, end = at, at + len(gram)
    while start > 0 and low[start - 1].isalnum():
        start -= 1
    while end < len(low) and low[end].isalnum():
        end += 1
    return source[start:end]


class IntakeReader:
    """Reads structure from a case's text: rules first, a trained classifier where they run out.

    ``examples`` are the training set (the written set's ``train`` split plus corrections);
    ``IntakeReader()`` without examples uses the rules alone.
    """

    def __init__(
        self,
        examples: Sequence[IntakeExample] = (),
        *,
        glossary: Glossary | None = None,
        common_parties: CommonParties | None = None,
    ) -> None:
        self.glossary = glossary
        self.common_parties = common_parties or CommonParties()
        self._dispute_rules = _compile(DISPUTE_RULES)
        self._industry_rules = _compile(INDUSTRY_RULES)
        self._jur_rules = _compile(JURISDICTION_RULES)
        self._forum_rules = [(re.compile(p, re.IGNORECASE), name) for p, name in FORUM_RULES]
        ordered = sorted(examples, key=lambda e: e.id)
        self.n_examples = len(ordered)
        self._dispute_clf = None
        self._industry_clf = None
        if len({e.dispute_type for e in ordered}) >= 2:
            self._dispute_clf = _TextClassifier(
                [self._features(e.text) for e in ordered], [e.dispute_type for e in ordered]
            )
        with_industry = [e for e in ordered if e.industry]
        if len({e.industry for e in with_industry}) >= 2:
            self._industry_clf = _TextClassifier(
                [self._features(e.text) for e in with_industry],
                [str(e.industry) for e in with_industry],
            )

    @classmethod
    def from_data(
        cls,
        data_dir: str | Path,
        *,
        extra: Sequence[IntakeExample] = (),
        split: str | None = "train",
    ) -> IntakeReader:
        """A reader trained on ``data_dir/intake/descriptions.jsonl`` (the ``split`` part; all when
        ``None``) plus ``extra`` examples, with the glossary and common parties of ``data_dir``."""
        data_dir = Path(data_dir)
        path = data_dir / "intake" / "descriptions.jsonl"
        examples = load_examples(path) if path.exists() else []
        if split is not None:
            examples = [e for e in examples if e.split == split]
        return cls(
            [*examples, *extra],
            glossary=Glossary.from_file(data_dir / "glossary.tsv"),
            common_parties=CommonParties.from_file(data_dir / "common_parties.txt"),
        )

    def _features(self, text: str) -> str:
        norm = _normalise(text)
        if self.glossary is None:
            return norm
        return norm + " | " + " ".join(self.glossary.expand(text))

    # -- reading --------------------------------------------------------------------------------

    @staticmethod
    def _rule_scores(
        rules: list[tuple[Any, ...]], norm: str, source: str
    ) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        for code, weight, pattern in rules:
            found = [m for m in pattern.finditer(norm) if m.group(0).strip()]
            if not found:
                continue
            scores[code] = scores.get(code, 0.0) + weight
            words = evidence.setdefault(code, [])
            for m in found[:2]:
                word = (
                    source[m.start() : m.end()].strip() if len(source) == len(norm) else m.group(0)
                )
                if word and word not in words:
                    words.append(word)
        return scores, evidence

    def _choose(
        self,
        rules: list[tuple[Any, ...]],
        classifier: _TextClassifier | None,
        text: str,
        norm: str,
        source: str,
    ) -> Inferred | None:
        """Blend rule scores with the classifier's probabilities; return the best value."""
        scores, evidence = self._rule_scores(rules, norm, source)
        total = sum(scores.values())
        blended: dict[str, float] = {}
        strength = min(total / 3.0, 2.0)
        if total > 0:
            for code, s in scores.items():
                blended[code] = strength * s / total
        probs, row = classifier.proba(self._features(text)) if classifier else ({}, None)
        for code, p in probs.items():
            blended[code] = blended.get(code, 0.0) + p
        if not blended:
            return None
        weight = strength + (1.0 if probs else 0.0) if total > 0 else 1.0
        best = max(sorted(blended), key=lambda c: blended[c])
        confidence = blended[best] / weight
        words = evidence.get(best) or []
        if not words and classifier is not None and row is not None:
            clf_words = classifier.evidence(row, best, source)
            words = [clf_words] if clf_words else []
        return Inferred(best, float(min(confidence, 0.99)), ", ".join(words[:3]))

    def read(
        self, title: str = "", description: str = "", *, lang: str | None = None
    ) -> IntakeReading:
        """Read one case's title and description."""
        text = f"{title}\n{description}".strip()
        if not text:
            return IntakeReading()
        norm = _normalise(text)
        # NFKC and simplification keep the length of nearly all text, so a match position in the
        # normalised text points at the same words of the source; otherwise quote the match.
        source = text if len(text) == len(norm) else norm
        dispute = self._choose(self._dispute_rules, self._dispute_clf, text, norm, source)
        if dispute is not None and dispute.confidence < MIN_CONFIDENCE["dispute_type"]:
            dispute = None
        industry = self._choose(self._industry_rules, self._industry_clf, text, norm, source)
        if industry is not None and industry.confidence < MIN_CONFIDENCE["industry"]:
            industry = None
        jurisdictions = self._jurisdictions(norm, source, dispute)
        forum = self._forum(norm, source)
        language = lang or detect_language(text)
        return IntakeReading(
            dispute_type=dispute,
            forum=forum,
            jurisdictions=jurisdictions,
            industry=industry,
            languages=self._languages(language, jurisdictions),
            counterparties=self._counterparties(text),
        )

    def read_case(self, case: CaseDoc) -> IntakeReading:
        """Read a :class:`CaseDoc`'s text."""
        return self.read(case.title, case.description, lang=case.lang)

    def _jurisdictions(
        self, norm: str, source: str, dispute: Inferred | None
    ) -> tuple[Inferred, ...]:
        found: dict[str, Inferred] = {}
        weight: dict[str, float] = {}
        title_end = norm.find("\n")
        for code, confidence, pattern in self._jur_rules:
            matches = list(pattern.finditer(norm))
            if not matches:
                continue
            # How much the text is about this place: mentions, and twice as much in the title.
            weight[code] = weight.get(code, 0.0) + sum(
                2.0 if m.start() < title_end else 1.0 for m in matches
            )
            if code in found and found[code].confidence >= confidence:
                continue
            m = matches[0]
            word = source[m.start() : m.end()] if source is not norm else m.group(0)
            found[code] = Inferred(code, confidence, word.strip())
        # A place named once in passing in a long text ("our Japanese rival", "unlike in the
        # Hague") is less likely a forum of this dispute than the places the text dwells on.
        top = max(weight.values(), default=0.0)
        for code, w in weight.items():
            if top >= 3 and w < 0.34 * top:
                found[code] = dataclasses.replace(
                    found[code], confidence=found[code].confidence * 0.5
                )
        # "US" is read case-sensitively: lower-cased, it is the pronoun ("sued us").
        m = _US.search(source) if source is not norm else None
        if m and ("US" not in found or found["US"].confidence < 0.9):
            found["US"] = Inferred("US", 0.9, m.group(0))
        # Platform cues name the US only when nothing else names a country.
        if "US" in found and found["US"].confidence < 0.9 and len(found) > 1:
            del found["US"]
        # A Section 337 case is a US case; an EU customs detention is an EU-law case too.
        if "USITC" in found and "US" not in found:
            found["US"] = Inferred("US", found["USITC"].confidence, found["USITC"].evidence)
        if "EUIPO" in found and "EU" not in found:
            found["EU"] = Inferred("EU", found["EUIPO"].confidence * 0.95, found["EUIPO"].evidence)
        if dispute is not None and dispute.value == "customs" and "EU" not in found:
            members = [j for j in found.values() if j.value in EU_MEMBERS]
            if members:
                found["EU"] = Inferred("EU", members[0].confidence * 0.8, members[0].evidence)
        if dispute is not None and dispute.value == "trademark" and "WIPO" in found:
            # A domain-name dispute goes to WIPO whatever country the squatter is in.
            found = {k: v for k, v in found.items() if k == "WIPO" or v.confidence >= 0.95}
        return tuple(v for v in found.values() if v.confidence >= MIN_CONFIDENCE["jurisdictions"])

    def _forum(self, norm: str, source: str) -> Inferred | None:
        for pattern, name in self._forum_rules:
            m = pattern.search(norm)
            if m:
                word = source[m.start() : m.end()] if source is not norm else m.group(0)
                return Inferred(name, 0.8, word.strip())
        return None

    @staticmethod
    def _languages(language: str, jurisdictions: Sequence[Inferred]) -> tuple[Inferred, ...]:
        out = {language: Inferred(language, 0.95, "")}  # the script the text is written in
        other = "en" if language == "zh" else "zh"
        # Cases are filed by Chinese enterprises about foreign disputes: both working languages.
        out[other] = Inferred(other, 0.8, "")
        for j in jurisdictions:
            for code in JURISDICTION_LANGUAGES.get(j.value, ()):
                if code not in out:
                    out[code] = Inferred(code, round(0.7 * j.confidence, 3), j.evidence)
        return tuple(out.values())

    def _counterparties(self, text: str) -> tuple[Inferred, ...]:
        names: dict[str, Inferred] = {}
        for m in _EN_COMPANY.finditer(text):
            name = m.group(1).strip()
            name = re.sub(r"^(?:The|A|An|Our|We|Against|By|From|With)\s+", "", name)
            if len(name) > 3 and not self.common_parties.is_common(name):
                names.setdefault(name, Inferred(name, 0.7, name))
        for m in _ZH_COMPANY.finditer(text):
            name = re.sub(r"^.*(?:被|与|对|向|称|由|是|的|和|为|系|告|即|及|诉|、)", "", m.group(1))
            if len(name) >= 4 and not _OWN.match(name) and not self.common_parties.is_common(name):
                names.setdefault(name, Inferred(name, 0.6, m.group(1)))
        return tuple(names.values())


def strip_structure(case: CaseDoc) -> CaseDoc:
    """The case with every structured field emptied: what an intake with only text looks like."""
    return dataclasses.replace(
        case,
        dispute_type=None,
        jurisdictions=(),
        languages=(),
        industry=None,
        forum=None,
        sep_standard=None,
        counterparties=(),
        field_confidence={},
    )


def apply_reading(case: CaseDoc, reading: IntakeReading) -> CaseDoc:
    """``case`` with its *empty* structured fields filled from ``reading``.

    What a person entered is never replaced. Each filled field's confidence goes into
    ``field_confidence`` (a list field: the mean confidence of its values), so that ranking can
    weight inferred evidence by it.
    """
    changes: dict[str, Any] = {}
    confidence = dict(case.field_confidence)
    if not case.dispute_type and reading.dispute_type:
        changes["dispute_type"] = reading.dispute_type.value
        confidence["dispute_type"] = reading.dispute_type.confidence
    if not case.industry and reading.industry:
        changes["industry"] = reading.industry.value
        confidence["industry"] = reading.industry.confidence
    if not case.forum and reading.forum:
        changes["forum"] = reading.forum.value
        confidence["forum"] = reading.forum.confidence
    for name in ("jurisdictions", "languages"):
        values: tuple[Inferred, ...] = getattr(reading, name)
        if not getattr(case, name) and values:
            changes[name] = tuple(v.value for v in values)
            confidence[name] = float(np.mean([v.confidence for v in values]))
    if not case.counterparties and reading.counterparties:
        parties = []
        for p in reading.counterparties:
            zh = detect_language(p.value) == "zh"
            parties.append(Party(name_en=None if zh else p.value, name_zh=p.value if zh else None))
        changes["counterparties"] = tuple(parties)
    if not changes:
        return case
    return dataclasses.replace(case, **changes, field_confidence=confidence)
