"""Controlled vocabularies, aligned with ACLED and UCDP so exports interoperate."""

from django.db import models


class EventType(models.TextChoices):
    BATTLES = "battles", "Battles"
    EXPLOSIONS = "explosions_remote_violence", "Explosions/Remote violence"
    VIOLENCE_AGAINST_CIVILIANS = "violence_against_civilians", "Violence against civilians"
    PROTESTS = "protests", "Protests"
    RIOTS = "riots", "Riots"
    STRATEGIC = "strategic_developments", "Strategic developments"


class SubEventType(models.TextChoices):
    ARMED_CLASH = "armed_clash", "Armed clash"
    GOVERNMENT_REGAINS_TERRITORY = "government_regains_territory", "Government regains territory"
    NON_STATE_ACTOR_OVERTAKES_TERRITORY = "non_state_actor_overtakes_territory", "Non-state actor overtakes territory"
    CHEMICAL_WEAPON = "chemical_weapon", "Chemical weapon"
    AIR_DRONE_STRIKE = "air_drone_strike", "Air/drone strike"
    SUICIDE_BOMB = "suicide_bomb", "Suicide bomb"
    SHELLING = "shelling_artillery_missile_attack", "Shelling/artillery/missile attack"
    REMOTE_EXPLOSIVE = "remote_explosive_landmine_ied", "Remote explosive/landmine/IED"
    GRENADE = "grenade", "Grenade"
    SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence"
    ATTACK = "attack", "Attack"
    ABDUCTION = "abduction_forced_disappearance", "Abduction/forced disappearance"
    PEACEFUL_PROTEST = "peaceful_protest", "Peaceful protest"
    PROTEST_WITH_INTERVENTION = "protest_with_intervention", "Protest with intervention"
    EXCESSIVE_FORCE = "excessive_force_against_protesters", "Excessive force against protesters"
    VIOLENT_DEMONSTRATION = "violent_demonstration", "Violent demonstration"
    MOB_VIOLENCE = "mob_violence", "Mob violence"
    AGREEMENT = "agreement", "Agreement"
    ARRESTS = "arrests", "Arrests"
    CHANGE_TO_GROUP = "change_to_group_activity", "Change to group/activity"
    DISRUPTED_WEAPONS_USE = "disrupted_weapons_use", "Disrupted weapons use"
    HEADQUARTERS_ESTABLISHED = "headquarters_or_base_established", "Headquarters or base established"
    LOOTING = "looting_property_destruction", "Looting/property destruction"
    NON_VIOLENT_TRANSFER = "non_violent_transfer_of_territory", "Non-violent transfer of territory"
    OTHER = "other", "Other"


SUB_EVENT_TYPES = {
    EventType.BATTLES: [
        SubEventType.ARMED_CLASH,
        SubEventType.GOVERNMENT_REGAINS_TERRITORY,
        SubEventType.NON_STATE_ACTOR_OVERTAKES_TERRITORY,
    ],
    EventType.EXPLOSIONS: [
        SubEventType.CHEMICAL_WEAPON,
        SubEventType.AIR_DRONE_STRIKE,
        SubEventType.SUICIDE_BOMB,
        SubEventType.SHELLING,
        SubEventType.REMOTE_EXPLOSIVE,
        SubEventType.GRENADE,
    ],
    EventType.VIOLENCE_AGAINST_CIVILIANS: [
        SubEventType.SEXUAL_VIOLENCE,
        SubEventType.ATTACK,
        SubEventType.ABDUCTION,
    ],
    EventType.PROTESTS: [
        SubEventType.PEACEFUL_PROTEST,
        SubEventType.PROTEST_WITH_INTERVENTION,
        SubEventType.EXCESSIVE_FORCE,
    ],
    EventType.RIOTS: [SubEventType.VIOLENT_DEMONSTRATION, SubEventType.MOB_VIOLENCE],
    EventType.STRATEGIC: [
        SubEventType.AGREEMENT,
        SubEventType.ARRESTS,
        SubEventType.CHANGE_TO_GROUP,
        SubEventType.DISRUPTED_WEAPONS_USE,
        SubEventType.HEADQUARTERS_ESTABLISHED,
        SubEventType.LOOTING,
        SubEventType.NON_VIOLENT_TRANSFER,
        SubEventType.OTHER,
    ],
}


class DatePrecision(models.TextChoices):
    DAY = "day", "Exact day"
    WEEK = "week", "Within a week"
    MONTH = "month", "Within a month"
    YEAR = "year", "Within a year"


class PlacePrecision(models.TextChoices):
    """UCDP where_prec / ACLED geo_precision."""

    EXACT = "exact", "Exact place"
    NEAR = "near", "Near a place"
    ADMIN2 = "admin2", "Admin 2 (district)"
    ADMIN1 = "admin1", "Admin 1 (governorate)"
    COUNTRY = "country", "Country"


class Qualifier(models.TextChoices):
    """How a number was stated. Word quantities keep low/high empty unless the text bounds them."""

    EXACT = "exact", "Exact"
    AT_LEAST = "at_least", "At least"
    MORE_THAN = "more_than", "More than"
    AT_MOST = "at_most", "At most"
    ABOUT = "about", "About"
    RANGE = "range", "Range"
    A_FEW = "few", "A few"
    SEVERAL = "several", "Several"
    MULTIPLE = "multiple", "Multiple / many"
    DOZENS = "dozens", "Dozens"
    HUNDREDS = "hundreds", "Hundreds"
    UNKNOWN = "unknown", "Unknown"


# Convention for turning word quantities into numbers, for sums and exports only (ACLED's
# codebook: several/many/few → 3 or 10, dozens → 12, hundreds → 100). Stored figures keep the
# word; unknown stays unknown (None), never zero.
WORD_QUANTITY_CONVENTION = {
    Qualifier.A_FEW: 3,
    Qualifier.SEVERAL: 3,
    Qualifier.MULTIPLE: 10,
    Qualifier.DOZENS: 12,
    Qualifier.HUNDREDS: 100,
}
