"""Controlled vocabularies: the codes stored in the database and in data files.

The database, the JSONL files and the matching engine only ever see the codes.
Pages show the English label through gettext, so each label is marked with
``N_`` (a no-op here) for extraction into the catalogs. Country and language
names are not listed here: they come from Babel's locale data.

This module imports nothing from Flask so that the pure matching library may
use it.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a string for translation without translating it now."""
    return text


DISPUTE_TYPES: dict[str, str] = {
    "sep_frand": N_("SEP / FRAND"),
    "patent_infringement": N_("Patent infringement"),
    "trade_secret": N_("Trade secret"),
    "trademark": N_("Trademark squatting / opposition"),
    "ecommerce": N_("Cross-border e-commerce / platform takedown"),
    "itc337": N_("ITC Section 337"),
    "customs": N_("Customs seizure"),
    "copyright": N_("Copyright"),
    "licensing_arbitration": N_("Licensing / arbitration"),
}

INDUSTRIES: dict[str, str] = {
    "automotive": N_("Automotive"),
    "photovoltaics": N_("Photovoltaics"),
    "telecom": N_("Telecom / 5G"),
    "semiconductors": N_("Semiconductors"),
    "consumer_goods": N_("E-commerce / consumer goods"),
    "pharma": N_("Pharma / biotech"),
    "machinery": N_("Machinery"),
    "software_ai": N_("Software / AI"),
    "batteries": N_("Batteries / energy storage"),
    "medical_devices": N_("Medical devices"),
    "chemicals": N_("Chemicals / materials"),
    "home_appliances": N_("Home appliances"),
}

EXPERT_ROLE_TYPES: dict[str, str] = {
    "lawyer": N_("Lawyer"),
    "patent_attorney": N_("Patent attorney"),
    "technical_expert": N_("Technical expert"),
    "economist": N_("Economist"),
    "mediator": N_("Mediator / arbitrator"),
}

# Forums that are not countries; every other jurisdiction code is ISO 3166-1 alpha-2.
FORUMS: dict[str, str] = {
    "EPO": N_("European Patent Office"),
    "EUIPO": N_("EU Intellectual Property Office"),
    "UPC": N_("Unified Patent Court"),
    "WIPO": N_("WIPO (incl. UDRP)"),
    "USITC": N_("US International Trade Commission"),
    "EU": N_("European Union"),
}

# The jurisdictions offered in forms; data may use any ISO alpha-2 code.
COMMON_JURISDICTIONS: tuple[str, ...] = (
    "CN",
    "US",
    "DE",
    "GB",
    "FR",
    "NL",
    "IT",
    "ES",
    "SE",
    "FI",
    "PL",
    "CH",
    "JP",
    "KR",
    "IN",
    "SG",
    "VN",
    "TH",
    "MY",
    "ID",
    "PH",
    "BR",
    "MX",
    "AR",
    "CL",
    "CO",
    "PE",
    "TR",
    "AE",
    "SA",
    "ZA",
    "AU",
    "CA",
    "RU",
    "EPO",
    "EUIPO",
    "UPC",
    "WIPO",
    "USITC",
    "EU",
)

COMMON_LANGUAGES: tuple[str, ...] = (
    "zh",
    "en",
    "de",
    "fr",
    "es",
    "pt",
    "ja",
    "ko",
    "it",
    "nl",
    "ru",
    "ar",
    "vi",
    "th",
    "id",
    "sv",
    "fi",
    "pl",
    "tr",
)

CASE_STATUSES: dict[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "triaged": N_("Triaged"),
    "matched": N_("Matched"),
    "assigned": N_("Assigned"),
    "in_progress": N_("In progress"),
    "closed": N_("Closed"),
}

OUR_ROLES: dict[str, str] = {
    "respondent": N_("Respondent / defendant"),
    "claimant": N_("Claimant / plaintiff"),
}

SEP_STANDARDS: dict[str, str] = {
    "4g": N_("4G / LTE"),
    "5g": N_("5G NR"),
    "3g": N_("3G / UMTS"),
    "wifi": N_("Wi-Fi (IEEE 802.11)"),
    "hevc": N_("Video coding (HEVC / AVC / VVC)"),
    "nbiot": N_("NB-IoT / cellular IoT"),
    "other": N_("Other standard"),
}

NEGOTIATION_STAGES: dict[str, str] = {
    "none": N_("No negotiation yet"),
    "offer_received": N_("Licence offer received"),
    "negotiating": N_("Negotiating"),
    "stalled": N_("Negotiation stalled"),
    "litigation": N_("In litigation"),
}

GOALS: dict[str, str] = {
    "dismissal": N_("Dismissal"),
    "settlement": N_("Settlement"),
    "licence": N_("Licence on FRAND terms"),
    "release_funds": N_("Release of frozen funds"),
    "counter_action": N_("Counter-action"),
    "registration_cancelled": N_("Cancellation of the squatted registration"),
    "goods_released": N_("Release of detained goods"),
}

CONFIDENTIALITY_LEVELS: dict[str, str] = {
    "normal": N_("Normal"),
    "confidential": N_("Confidential"),
}

AVAILABILITY: dict[str, str] = {
    "available": N_("Available"),
    "absent": N_("Absent until a date"),
    "inactive": N_("Inactive"),
}

ASSIGNMENT_STATUSES: dict[str, str] = {
    "proposed": N_("Proposed"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
    "completed": N_("Completed"),
}

# Assignments in these states take one of the expert's capacity slots.
LOAD_STATUSES: tuple[str, ...] = ("proposed", "accepted")

CASE_OUTCOMES: dict[str, str] = {
    "resolved": N_("Resolved"),
    "settled": N_("Settled"),
    "lost": N_("Lost"),
    "withdrawn": N_("Withdrawn"),
}

CONFLICT_RELATIONS: dict[str, str] = {
    "client": N_("Client"),
    "adverse_party": N_("Adverse party"),
    "former_employer": N_("Former employer"),
    "board_seat": N_("Board seat"),
}

ADMISSION_STATUSES: dict[str, str] = {
    "active": N_("Active"),
    "inactive": N_("Inactive"),
    "foreign_legal_consultant": N_("Foreign legal consultant"),
}

VERIFICATION_STATUSES: dict[str, str] = {
    "unverified": N_("Unverified"),
    "verified": N_("Verified"),
    "expired": N_("Needs re-confirmation"),
}

ORGANISATION_SIZES: dict[str, str] = {
    "micro": N_("Micro (<10 staff)"),
    "small": N_("Small (10-99)"),
    "medium": N_("Medium (100-999)"),
    "large": N_("Large (1000+)"),
}

CURRENCIES: tuple[str, ...] = ("CNY", "USD", "EUR", "GBP", "JPY", "KRW", "BRL", "MXN", "INR")

USER_ROLES: dict[str, str] = {
    "enterprise": N_("Enterprise"),
    "expert": N_("Expert"),
    "coordinator": N_("Coordinator"),
    "network": N_("Network staff"),
    "admin": N_("Administrator"),
}

CENTRE_KINDS: dict[str, str] = {
    "regional": N_("Regional centre"),
    "industry": N_("Industry platform"),
    "outpost": N_("Overseas outpost"),
}

# Chinese provinces / province-level divisions by ISO 3166-2:CN code.
PROVINCES: dict[str, str] = {
    "CN-BJ": N_("Beijing"),
    "CN-TJ": N_("Tianjin"),
    "CN-HE": N_("Hebei"),
    "CN-SX": N_("Shanxi"),
    "CN-NM": N_("Inner Mongolia"),
    "CN-LN": N_("Liaoning"),
    "CN-JL": N_("Jilin"),
    "CN-HL": N_("Heilongjiang"),
    "CN-SH": N_("Shanghai"),
    "CN-JS": N_("Jiangsu"),
    "CN-ZJ": N_("Zhejiang"),
    "CN-AH": N_("Anhui"),
    "CN-FJ": N_("Fujian"),
    "CN-JX": N_("Jiangxi"),
    "CN-SD": N_("Shandong"),
    "CN-HA": N_("Henan"),
    "CN-HB": N_("Hubei"),
    "CN-HN": N_("Hunan"),
    "CN-GD": N_("Guangdong"),
    "CN-GX": N_("Guangxi"),
    "CN-HI": N_("Hainan"),
    "CN-CQ": N_("Chongqing"),
    "CN-SC": N_("Sichuan"),
    "CN-GZ": N_("Guizhou"),
    "CN-YN": N_("Yunnan"),
    "CN-XZ": N_("Tibet"),
    "CN-SN": N_("Shaanxi"),
    "CN-GS": N_("Gansu"),
    "CN-QH": N_("Qinghai"),
    "CN-NX": N_("Ningxia"),
    "CN-XJ": N_("Xinjiang"),
}
