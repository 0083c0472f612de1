"""The airports a patient flies through: IATA code, name, city, country and the IANA time
zone of the airport's local time (a flight's times are stored as the wall-clock time at
its airport, with this zone).

Sources: the airports' names, cities and countries are those of OurAirports
(https://ourairports.com/data/, "airports.csv", released into the public domain), as of
2026; each airport's zone is the IANA Time Zone Database zone of its location
(https://www.iana.org/time-zones), checked against Python's ``zoneinfo`` by the tests.
The table holds the hubs a clinic's international patients come through (Europe, the
former Soviet Union, the Middle East and the long-haul hubs): a code not in it is
refused with the list's reason, and a clinic adds a row here when its patients use
another airport.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Airport:
    iata: str
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    tz: str  # IANA zone


AIRPORTS: tuple[Airport, ...] = (
    Airport("AMS", "Amsterdam Airport Schiphol", "Amsterdam", "NL", "Europe/Amsterdam"),
    Airport("ARN", "Stockholm Arlanda Airport", "Stockholm", "SE", "Europe/Stockholm"),
    Airport(
        "ATH", "Athens International Airport Eleftherios Venizelos", "Athens", "GR", "Europe/Athens"
    ),
    Airport(
        "BCN", "Josep Tarradellas Barcelona-El Prat Airport", "Barcelona", "ES", "Europe/Madrid"
    ),
    Airport("BEG", "Belgrade Nikola Tesla Airport", "Belgrade", "RS", "Europe/Belgrade"),
    Airport("BER", "Berlin Brandenburg Airport", "Berlin", "DE", "Europe/Berlin"),
    Airport("BRU", "Brussels Airport", "Brussels", "BE", "Europe/Brussels"),
    Airport(
        "BUD", "Budapest Ferenc Liszt International Airport", "Budapest", "HU", "Europe/Budapest"
    ),
    Airport("CDG", "Paris Charles de Gaulle Airport", "Paris", "FR", "Europe/Paris"),
    Airport("CGN", "Cologne Bonn Airport", "Cologne", "DE", "Europe/Berlin"),
    Airport("CPH", "Copenhagen Airport", "Copenhagen", "DK", "Europe/Copenhagen"),
    Airport("DME", "Moscow Domodedovo Airport", "Moscow", "RU", "Europe/Moscow"),
    Airport("DUB", "Dublin Airport", "Dublin", "IE", "Europe/Dublin"),
    Airport("DUS", "Düsseldorf Airport", "Düsseldorf", "DE", "Europe/Berlin"),
    Airport("FCO", "Rome Fiumicino Airport Leonardo da Vinci", "Rome", "IT", "Europe/Rome"),
    Airport("FRA", "Frankfurt Airport", "Frankfurt am Main", "DE", "Europe/Berlin"),
    Airport("GVA", "Geneva Airport", "Geneva", "CH", "Europe/Zurich"),
    Airport("HAM", "Hamburg Airport", "Hamburg", "DE", "Europe/Berlin"),
    Airport("HEL", "Helsinki-Vantaa Airport", "Helsinki", "FI", "Europe/Helsinki"),
    Airport("IST", "Istanbul Airport", "Istanbul", "TR", "Europe/Istanbul"),
    Airport("KBP", "Boryspil International Airport", "Kyiv", "UA", "Europe/Kyiv"),
    Airport("KZN", "Kazan International Airport", "Kazan", "RU", "Europe/Moscow"),
    Airport("LED", "Pulkovo Airport", "Saint Petersburg", "RU", "Europe/Moscow"),
    Airport("LGW", "London Gatwick Airport", "London", "GB", "Europe/London"),
    Airport("LHR", "London Heathrow Airport", "London", "GB", "Europe/London"),
    Airport("LIS", "Lisbon Humberto Delgado Airport", "Lisbon", "PT", "Europe/Lisbon"),
    Airport("MAD", "Adolfo Suárez Madrid-Barajas Airport", "Madrid", "ES", "Europe/Madrid"),
    Airport("MSQ", "Minsk National Airport", "Minsk", "BY", "Europe/Minsk"),
    Airport("MUC", "Munich Airport", "Munich", "DE", "Europe/Berlin"),
    Airport("MXP", "Milan Malpensa Airport", "Milan", "IT", "Europe/Rome"),
    Airport("ORY", "Paris Orly Airport", "Paris", "FR", "Europe/Paris"),
    Airport("OSL", "Oslo Airport Gardermoen", "Oslo", "NO", "Europe/Oslo"),
    Airport(
        "OTP", "Bucharest Henri Coandă International Airport", "Bucharest", "RO", "Europe/Bucharest"
    ),
    Airport("PRG", "Václav Havel Airport Prague", "Prague", "CZ", "Europe/Prague"),
    Airport("RIX", "Riga International Airport", "Riga", "LV", "Europe/Riga"),
    Airport(
        "SAW", "Istanbul Sabiha Gökçen International Airport", "Istanbul", "TR", "Europe/Istanbul"
    ),
    Airport("SOF", "Sofia Airport", "Sofia", "BG", "Europe/Sofia"),
    Airport("STR", "Stuttgart Airport", "Stuttgart", "DE", "Europe/Berlin"),
    Airport("SVO", "Sheremetyevo International Airport", "Moscow", "RU", "Europe/Moscow"),
    Airport("TLL", "Tallinn Airport", "Tallinn", "EE", "Europe/Tallinn"),
    Airport("VIE", "Vienna International Airport", "Vienna", "AT", "Europe/Vienna"),
    Airport("VKO", "Vnukovo International Airport", "Moscow", "RU", "Europe/Moscow"),
    Airport("VNO", "Vilnius International Airport", "Vilnius", "LT", "Europe/Vilnius"),
    Airport("WAW", "Warsaw Chopin Airport", "Warsaw", "PL", "Europe/Warsaw"),
    Airport("ZRH", "Zurich Airport", "Zurich", "CH", "Europe/Zurich"),
    Airport("ALA", "Almaty International Airport", "Almaty", "KZ", "Asia/Almaty"),
    Airport("AUH", "Zayed International Airport", "Abu Dhabi", "AE", "Asia/Dubai"),
    Airport("BKK", "Suvarnabhumi Airport", "Bangkok", "TH", "Asia/Bangkok"),
    Airport(
        "BOM", "Chhatrapati Shivaji Maharaj International Airport", "Mumbai", "IN", "Asia/Kolkata"
    ),
    Airport("DEL", "Indira Gandhi International Airport", "Delhi", "IN", "Asia/Kolkata"),
    Airport("DOH", "Hamad International Airport", "Doha", "QA", "Asia/Qatar"),
    Airport("DXB", "Dubai International Airport", "Dubai", "AE", "Asia/Dubai"),
    Airport("EVN", "Zvartnots International Airport", "Yerevan", "AM", "Asia/Yerevan"),
    Airport("GYD", "Heydar Aliyev International Airport", "Baku", "AZ", "Asia/Baku"),
    Airport("HKG", "Hong Kong International Airport", "Hong Kong", "HK", "Asia/Hong_Kong"),
    Airport("HND", "Tokyo Haneda Airport", "Tokyo", "JP", "Asia/Tokyo"),
    Airport("ICN", "Incheon International Airport", "Seoul", "KR", "Asia/Seoul"),
    Airport("JED", "King Abdulaziz International Airport", "Jeddah", "SA", "Asia/Riyadh"),
    Airport("KWI", "Kuwait International Airport", "Kuwait City", "KW", "Asia/Kuwait"),
    Airport("NQZ", "Nursultan Nazarbayev International Airport", "Astana", "KZ", "Asia/Almaty"),
    Airport("NRT", "Narita International Airport", "Tokyo", "JP", "Asia/Tokyo"),
    Airport("OVB", "Tolmachevo Airport", "Novosibirsk", "RU", "Asia/Novosibirsk"),
    Airport("PEK", "Beijing Capital International Airport", "Beijing", "CN", "Asia/Shanghai"),
    Airport("PVG", "Shanghai Pudong International Airport", "Shanghai", "CN", "Asia/Shanghai"),
    Airport("RUH", "King Khalid International Airport", "Riyadh", "SA", "Asia/Riyadh"),
    Airport("SIN", "Singapore Changi Airport", "Singapore", "SG", "Asia/Singapore"),
    Airport("SVX", "Koltsovo International Airport", "Yekaterinburg", "RU", "Asia/Yekaterinburg"),
    Airport("TAS", "Tashkent International Airport", "Tashkent", "UZ", "Asia/Tashkent"),
    Airport("TBS", "Tbilisi International Airport", "Tbilisi", "GE", "Asia/Tbilisi"),
    Airport("TLV", "Ben Gurion Airport", "Tel Aviv", "IL", "Asia/Jerusalem"),
    Airport("CAI", "Cairo International Airport", "Cairo", "EG", "Africa/Cairo"),
    Airport(
        "JNB", "O. R. Tambo International Airport", "Johannesburg", "ZA", "Africa/Johannesburg"
    ),
    Airport("LOS", "Murtala Muhammed International Airport", "Lagos", "NG", "Africa/Lagos"),
    Airport("NBO", "Jomo Kenyatta International Airport", "Nairobi", "KE", "Africa/Nairobi"),
    Airport("SYD", "Sydney Kingsford Smith Airport", "Sydney", "AU", "Australia/Sydney"),
    Airport("EWR", "Newark Liberty International Airport", "Newark", "US", "America/New_York"),
    Airport(
        "EZE",
        "Ministro Pistarini International Airport",
        "Buenos Aires",
        "AR",
        "America/Argentina/Buenos_Aires",
    ),
    Airport(
        "GRU", "São Paulo/Guarulhos International Airport", "São Paulo", "BR", "America/Sao_Paulo"
    ),
    Airport("JFK", "John F. Kennedy International Airport", "New York", "US", "America/New_York"),
    Airport("LAX", "Los Angeles International Airport", "Los Angeles", "US", "America/Los_Angeles"),
    Airport("MEX", "Mexico City International Airport", "Mexico City", "MX", "America/Mexico_City"),
    Airport("MIA", "Miami International Airport", "Miami", "US", "America/New_York"),
    Airport("ORD", "O'Hare International Airport", "Chicago", "US", "America/Chicago"),
    Airport("YYZ", "Toronto Pearson International Airport", "Toronto", "CA", "America/Toronto"),
)


@lru_cache(maxsize=1)
def by_code() -> dict[str, Airport]:
    return {airport.iata: airport for airport in AIRPORTS}


def find(code: str | None) -> Airport | None:
    """The airport of an IATA code (any case), or None."""
    return by_code().get((code or "").strip().upper())


def label(code: str) -> str:
    """ "MUC (Munich Airport, Munich)": an airport as a person reads it."""
    airport = find(code)
    return f"{code} ({airport.name}, {airport.city})" if airport else code


def choices() -> list[tuple[str, str]]:
    """(code, label) of every airport, by city: a form's list."""
    return [
        (a.iata, f"{a.city} — {a.name} ({a.iata})")
        for a in sorted(AIRPORTS, key=lambda a: (a.city, a.iata))
    ]
