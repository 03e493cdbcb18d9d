"""Synthetic name, street and town pools for the generator.

Every name here is a common word or a plausible invention; combined at random they
describe nobody. Forenames are split by sex and birth era because a family's names date
it (a grandmother called Margaret, her grandson called Jayden), which is what makes
blocking on name and year of birth realistic. Lists are ordered roughly by popularity:
the generator draws with Zipf-like weights, so the first names are the common ones.
"""

from __future__ import annotations

# Forenames by sex and birth era: born before 1960, 1960-79, 1980-94, 1995 on.
FORENAMES: dict[str, tuple[tuple[str, ...], ...]] = {
    "M": (
        ("John", "David", "Michael", "Peter", "Robert", "William", "Anthony", "Brian",
         "Alan", "Richard", "James", "Kenneth", "Roger", "Keith", "Terence", "Colin",
         "Raymond", "Dennis", "Geoffrey", "Ronald", "Barry", "Derek", "Frederick",
         "Leslie", "Stanley", "Bernard", "Gordon", "Malcolm", "Donald", "Edward",
         "Thomas", "Charles", "George", "Arthur", "Albert", "Harold", "Graham",
         "Norman", "Trevor", "Douglas"),
        ("Paul", "David", "Mark", "Andrew", "Stephen", "Ian", "Michael", "Gary",
         "Robert", "Richard", "Simon", "Christopher", "Neil", "Jason", "Darren",
         "Martin", "Stuart", "Steven", "Lee", "Kevin", "Dean", "Craig", "Wayne",
         "Anthony", "Nicholas", "Matthew", "Jonathan", "Philip", "Timothy", "Shaun",
         "Carl", "Glen", "Jeffrey", "Mohammed", "Sanjay", "Kulvinder", "Tomasz",
         "Dominic", "Julian", "Russell"),
        ("Daniel", "Thomas", "James", "Christopher", "Matthew", "Michael", "Adam",
         "David", "Luke", "Ryan", "Jamie", "Craig", "Lee", "Ashley", "Richard",
         "Andrew", "Benjamin", "Samuel", "Jonathan", "Robert", "Joseph", "Liam",
         "Scott", "Kieran", "Nathan", "Dean", "Carl", "Mark", "Stephen", "Anthony",
         "Mohammed", "Imran", "Jakub", "Piotr", "Krzysztof", "Bishal", "Darius",
         "Aaron", "Alexander", "William"),
        ("Jack", "Thomas", "Harry", "Joshua", "James", "Oliver", "Charlie", "Daniel",
         "William", "George", "Samuel", "Alfie", "Jacob", "Joseph", "Lewis", "Ethan",
         "Callum", "Dylan", "Connor", "Ryan", "Kyle", "Jayden", "Tyler", "Liam",
         "Alexander", "Mason", "Riley", "Kai", "Bradley", "Reece", "Matthew",
         "Michael", "Benjamin", "Mohammed", "Oscar", "Archie", "Jakub", "Filip",
         "Aarav", "Leo"),
    ),
    "F": (
        ("Margaret", "Patricia", "Mary", "Susan", "Elizabeth", "Christine", "Janet",
         "Barbara", "Jean", "Maureen", "Linda", "Valerie", "Sandra", "Brenda",
         "Joan", "Sheila", "Kathleen", "Pauline", "Irene", "Doreen", "Dorothy",
         "Carol", "Anne", "Eileen", "Gillian", "Rosemary", "Marion", "Judith",
         "Jacqueline", "Shirley", "Sylvia", "Hazel", "Joyce", "Beryl", "Elaine",
         "Catherine", "Rita", "Josephine", "Mary-Ann", "Wendy"),
        ("Julie", "Karen", "Susan", "Tracey", "Deborah", "Sarah", "Nicola", "Amanda",
         "Alison", "Jacqueline", "Lisa", "Joanne", "Michelle", "Elizabeth", "Helen",
         "Claire", "Angela", "Catherine", "Samantha", "Dawn", "Kim", "Sharon",
         "Jennifer", "Rachel", "Louise", "Kerry", "Victoria", "Debbie", "Donna",
         "Margaret", "Teresa", "Andrea", "Caroline", "Emma", "Joanna", "Kelly",
         "Parveen", "Agnieszka", "Rebecca", "Natalie"),
        ("Sarah", "Laura", "Emma", "Rebecca", "Gemma", "Claire", "Kelly", "Amy",
         "Victoria", "Hayley", "Samantha", "Jennifer", "Nicola", "Lauren", "Stacey",
         "Danielle", "Natalie", "Jessica", "Kirsty", "Charlotte", "Emily", "Zoe",
         "Katie", "Louise", "Elizabeth", "Kimberley", "Michelle", "Leanne", "Sophie",
         "Hannah", "Aisha", "Katarzyna", "Anna", "Joanna", "Alexandra", "Catherine",
         "Abigail", "Jade", "Margaret", "Naomi"),
        ("Chloe", "Olivia", "Emily", "Jessica", "Sophie", "Lauren", "Megan", "Ellie",
         "Charlotte", "Hannah", "Amelia", "Grace", "Lily", "Isabella", "Mia", "Ruby",
         "Holly", "Evie", "Abigail", "Bethany", "Courtney", "Paige", "Shannon",
         "Jasmine", "Leah", "Amber", "Katie", "Rebecca", "Elizabeth", "Zuzanna",
         "Aisha", "Lily-May", "Poppy", "Millie", "Ellie-Mae", "Freya", "Alexandra",
         "Victoria", "Samantha", "Margaret"),
    ),
}

ERA_BOUNDS = (1960, 1980, 1995)  # first birth year of eras 1, 2, 3

# Formal name -> short forms and nicknames (deliberately includes the non-obvious
# ones: Bill, Peggy, Ted, Dick) so that matching on exact forename is not enough.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Bill", "Billy", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty", "Eliza"),
    "Margaret": ("Maggie", "Peggy", "Meg", "Marge"),
    "Michael": ("Mick", "Mike", "Micky"),
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "Richard": ("Rick", "Rich", "Dick", "Richie"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony", "Ant"),
    "Joseph": ("Joe", "Joey"),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"),
    "Alexander": ("Alex", "Sandy", "Xander"),
    "Jonathan": ("Jon", "Jonny"),
    "Nicholas": ("Nick", "Nicky"),
    "Stephen": ("Steve", "Stevie"),
    "Steven": ("Steve", "Stevie"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "David": ("Dave", "Davey"),
    "Andrew": ("Andy", "Drew"),
    "Charles": ("Charlie", "Chas"),
    "Frederick": ("Fred", "Freddie"),
    "Kenneth": ("Ken", "Kenny"),
    "Terence": ("Terry",),
    "Raymond": ("Ray",),
    "Ronald": ("Ron", "Ronnie"),
    "Geoffrey": ("Geoff",),
    "Leslie": ("Les",),
    "Stanley": ("Stan",),
    "Bernard": ("Bernie",),
    "Donald": ("Don",),
    "Douglas": ("Doug",),
    "Harold": ("Harry",),
    "Albert": ("Bert", "Albie"),
    "Timothy": ("Tim",),
    "Philip": ("Phil",),
    "Gregory": ("Greg",),
    "Nathan": ("Nate",),
    "Callum": ("Cal",),
    "Bradley": ("Brad",),
    "Mohammed": ("Mo", "Mohammad", "Muhammad"),
    "Jakub": ("Kuba",),
    "Oliver": ("Ollie",),
    "Archie": ("Arch",),
    "Patricia": ("Pat", "Trish", "Patsy"),
    "Susan": ("Sue", "Susie"),
    "Catherine": ("Kate", "Cathy", "Katie", "Cath"),
    "Katarzyna": ("Kasia",),
    "Rebecca": ("Becky", "Becca"),
    "Jennifer": ("Jenny", "Jen"),
    "Victoria": ("Vicky", "Tori"),
    "Jessica": ("Jess", "Jessie"),
    "Samantha": ("Sam", "Sammy"),
    "Alexandra": ("Alex", "Lexi"),
    "Deborah": ("Debbie", "Debra", "Deb"),
    "Jacqueline": ("Jackie", "Jacqui"),
    "Kimberley": ("Kim",),
    "Christine": ("Chris", "Chrissie"),
    "Barbara": ("Babs",),
    "Dorothy": ("Dot", "Dottie"),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Joanna": ("Jo", "Asia"),
    "Natalie": ("Nat",),
    "Abigail": ("Abbie", "Abby"),
    "Charlotte": ("Charlie", "Lottie"),
    "Amanda": ("Mandy",),
    "Nicola": ("Nicky", "Nikki"),
    "Danielle": ("Dani",),
    "Kathleen": ("Kath", "Kathy"),
    "Valerie": ("Val",),
    "Gillian": ("Gill", "Jill"),
    "Judith": ("Judy",),
    "Teresa": ("Tess", "Terri"),
    "Amelia": ("Millie",),
    "Isabella": ("Bella", "Izzy"),
    "Hannah": ("Han",),
    "Emily": ("Em", "Emmy", "Millie"),
    "Sophie": ("Soph",),
    "Margery": ("Marge",),
    "Anna": ("Ania",),
    "Pamela": ("Pam",),
}

SURNAMES_COMMON: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker",
    "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke",
    "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan",
    "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray",
    "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer",
    "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker",
    "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson",
    "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart",
    "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day",
    "Brooks", "West", "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill",
    "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan",
    "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson",
    "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page",
    "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid",
    "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver",
    "Reed", "Kennedy", "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane",
    "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop", "Walton", "Burns",
    "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren",
    "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson",
    "Robson", "Curtis", "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins",
    "Moss", "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp", "Hardy",
    "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace",
    "George", "Jordan", "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert",
    "Willis", "Higgins", "Read", "Miles", "Stevenson", "Stephenson", "Hammond",
    "Arnold", "Buckley", "Walters", "Hewitt", "Barber", "Nelson", "Slater",
    "Austin", "Sullivan", "Whitehead", "Mann", "Frost", "Lambert", "Stephens",
    "Blake", "Akhtar", "Lynch", "Goodwin", "Barton", "Woodward", "Thomson",
    "Cunningham", "Quinn", "Barnett", "Baxter", "Bibi", "Clayton", "Nash", "Greenwood",
    "Jennings", "Holt", "Kemp", "Poole", "Gallagher", "Bond", "Stokes", "Tucker",
    "Davidson", "Fowler", "Heath", "Norman", "Middleton", "Lawson", "Banks", "French",
    "Stanley", "Jarvis", "Gibbs", "Ferguson", "Hayward", "Carroll", "Farrell",
    "Gurung", "Rai", "Limbu", "Kowalski", "Nowak", "Wisniewski", "Lewandowski",
    "Kaminski", "Popescu", "Horvath", "Ozturk", "Yilmaz", "Okafor", "Adeyemi",
    "Mensah", "Nguyen", "Chen", "Wong", "Silva", "Santos",
)

# Rare surnames are built from Kentish-sounding parts, so each is plausible but most
# occur in only one or two families (the long tail a frequency weight must handle).
RARE_PREFIXES: tuple[str, ...] = (
    "Ash", "Brad", "Brook", "Crom", "Dun", "Elling", "Fair", "Gold", "Hart", "Kings",
    "Lang", "Mar", "Nor", "Pen", "Ral", "Sand", "Thorn", "Wel", "Whit", "Al", "Bur",
    "Chil", "Dray", "Everd", "Farn", "Gren", "Hol", "Ick", "Kel", "Lyd", "Med",
    "Nether", "Ock", "Pluck", "Quar", "Ruck", "Shel", "Tenter", "Ux", "Wych", "Yal",
)
RARE_SUFFIXES: tuple[str, ...] = (
    "bury", "ford", "ley", "ton", "well", "wick", "combe", "ham", "field", "more",
    "stone", "den", "hurst", "worth", "shaw", "gate", "mer", "by", "cott", "wood",
)

STREET_NAMES: tuple[str, ...] = (
    "High", "Church", "Station", "London", "Victoria", "Queens", "Park", "Mill",
    "Green", "Manor", "Kings", "North", "South", "West", "East", "New", "School",
    "Chapel", "Springfield", "Windmill", "Orchard", "Grove", "Alexandra", "York",
    "Albert", "Canterbury", "Dover", "Maidstone", "Ashford", "Folkestone", "Margate",
    "Ramsgate", "Tonbridge", "Sandwich", "Hythe", "Marine", "Harbour", "Cliff",
    "Beach", "Sea", "Castle", "Abbey", "Priory", "Bridge", "Ferry", "Forge", "Oast",
    "Hop", "Cherry", "Apple", "Pear Tree", "Oak", "Ash", "Beech", "Elm", "Willow",
    "Chestnut", "Hawthorn", "Holly", "Ivy", "Laurel", "Lime", "Maple", "Poplar",
    "Rowan", "Sycamore", "Yew", "Acorn", "Primrose", "Bluebell", "Meadow", "Field",
    "Brook", "River", "Valley", "Hill", "Downs", "Weald", "Marsh", "Heath", "Common",
    "Forest", "Copse", "Coppice", "Kingsway", "Princes", "Prince Charles", "Regent",
    "Nelson", "Wellington", "Churchill", "Cromwell", "Tudor", "Stuart", "Windsor",
    "Balmoral", "Sandringham", "Osborne", "Clarendon", "Grosvenor", "Cavendish",
    "Belmont", "Fairfield", "Highfield", "Mayfield", "Westfield", "Broadfield",
    "Longfield", "Cornwallis", "Sackville", "Darnley", "Medway", "Stour", "Len",
    "Swale", "Thanet", "Shepway", "Romney", "Lydd", "Rother", "Eden", "Darent",
    "St Peters", "St Johns", "St Margarets", "St Marys", "St Lukes", "St Georges",
    "All Saints", "Trinity", "Bishops", "Deans", "Vicarage", "Rectory", "Glebe",
    "Cross", "Market", "Union", "Tower", "Gas House", "Railway", "Canal", "Wharf",
    "Quarry", "Pound", "Mount", "Ridge", "Crown", "Anchor", "Bell", "Swan", "Star",
)

# Full street type, then its abbreviations as agencies write them (Royal Mail / BS 7666
# forms: "La" and "Ln" for Lane, "Gr" and "Gro" for Grove, "Wk" and "Wlk" for Walk...).
STREET_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Road", ("Rd", "Rd.")),
    ("Street", ("St", "St.")),
    ("Avenue", ("Ave", "Av")),
    ("Lane", ("Ln", "La")),
    ("Close", ("Cl",)),
    ("Drive", ("Dr",)),
    ("Gardens", ("Gdns",)),
    ("Crescent", ("Cres",)),
    ("Way", ("Way",)),
    ("Place", ("Pl",)),
    ("Terrace", ("Terr", "Ter", "Tce")),
    ("Court", ("Ct",)),
    ("Grove", ("Gr", "Gro")),
    ("Walk", ("Wlk", "Wk")),
    ("Park", ("Pk",)),
    ("Square", ("Sq",)),
    ("Heights", ("Hts",)),
    ("Green", ("Grn",)),
    ("Parade", ("Pde",)),
    ("Mews", ("Mews",)),
    ("Rise", ("Rise",)),
    ("Hill", ("Hill",)),
)
STREET_TYPE_WEIGHTS: tuple[float, ...] = (30, 18, 10, 10, 10, 6, 5, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1)

# Districts, villages and estates inside each post town, written after the street
# ("35 Coronation Crescent, Kings Hill, West Malling"), or glued onto it without commas.
LOCALITIES: dict[str, tuple[str, ...]] = {
    "Ashford": ("Kennington", "Willesborough", "Singleton", "Park Farm", "Stanhope"),
    "Canterbury": ("St Dunstans", "Sturry", "Hales Place", "Thanington"),
    "Whitstable": ("Tankerton", "Seasalter"),
    "Herne Bay": ("Herne", "Greenhill", "Beltinge"),
    "Dartford": ("Stone", "Wilmington", "Temple Hill"),
    "Swanscombe": ("Greenhithe",),
    "Deal": ("Walmer", "Mill Hill"),
    "Dover": ("St Margarets", "River", "Whitfield", "Aycliffe"),
    "Gravesend": ("Northfleet", "Istead Rise", "Riverview Park"),
    "Maidstone": ("Shepway", "Bearsted", "Allington", "Tovil", "Park Wood"),
    "Sevenoaks": ("Riverhead", "Dunton Green", "Kemsing"),
    "Edenbridge": ("Marlpit Hill",),
    "Swanley": ("Hextable",),
    "Longfield": ("Hartley", "New Ash Green"),
    "Folkestone": ("Cheriton", "Sandgate", "Hawkinge"),
    "Hythe": ("Saltwood", "Palmarsh"),
    "New Romney": ("Littlestone", "St Marys Bay"),
    "Romney Marsh": ("Dymchurch", "Lydd"),
    "Sittingbourne": ("Milton Regis", "Murston", "Kemsley"),
    "Sheerness": ("Minster", "Halfway"),
    "Faversham": ("Davington", "Ospringe"),
    "Margate": ("Cliftonville", "Westbrook", "Garlinge"),
    "Broadstairs": ("St Peters",),
    "Ramsgate": ("St Lawrence", "Newington"),
    "Tonbridge": ("Hildenborough", "Higham Wood"),
    "West Malling": ("Kings Hill", "Leybourne", "East Malling"),
    "Aylesford": ("Larkfield", "Ditton"),
    "Tunbridge Wells": ("Southborough", "Rusthall", "Pembury"),
    "Cranbrook": ("Sissinghurst",),
    "Chatham": ("Walderslade", "Luton", "Lordswood"),
    "Gillingham": ("Rainham", "Twydall"),
    "Rochester": ("Strood", "Frindsbury"),
}

# How agencies record a person with no address.
NO_FIXED_ABODE: tuple[str, ...] = ("NFA", "N.F.A.", "No Fixed Abode", "nfa", "No fixed abode")

HOUSE_NAMES: tuple[str, ...] = (
    "Rose Cottage", "The Oast", "Ivy House", "Mill House", "The Old Forge",
    "Orchard View", "Hop Garden Cottage", "The Bungalow", "Fairview", "Woodlands",
    "The Coach House", "Little Orchard", "Meadow View", "Brook Cottage", "The Lodge",
    "Holly Cottage", "Oak Tree House", "Primrose Cottage", "Church Cottage",
    "The Old School House", "Keepers Cottage", "Stable Cottage", "The Granary",
    "Windy Ridge", "Hillside", "Sunnyside", "Pear Tree Cottage", "Barn End",
)

# Post town for each outward code (Kent districts, then Medway for out-of-area families).
POST_TOWNS: dict[str, str] = {
    "TN23": "Ashford", "TN24": "Ashford", "TN25": "Ashford", "TN26": "Ashford",
    "TN27": "Ashford", "CT1": "Canterbury", "CT2": "Canterbury", "CT3": "Canterbury",
    "CT4": "Canterbury", "CT5": "Whitstable", "CT6": "Herne Bay", "DA1": "Dartford",
    "DA2": "Dartford", "DA4": "Dartford", "DA10": "Swanscombe", "CT14": "Deal",
    "CT15": "Dover", "CT16": "Dover", "CT17": "Dover", "DA11": "Gravesend",
    "DA12": "Gravesend", "DA13": "Gravesend", "ME14": "Maidstone", "ME15": "Maidstone",
    "ME16": "Maidstone", "ME17": "Maidstone", "ME18": "Maidstone", "TN13": "Sevenoaks",
    "TN14": "Sevenoaks", "TN15": "Sevenoaks", "TN8": "Edenbridge", "BR8": "Swanley",
    "DA3": "Longfield", "CT18": "Folkestone", "CT19": "Folkestone",
    "CT20": "Folkestone", "CT21": "Hythe", "TN28": "New Romney", "TN29": "Romney Marsh",
    "ME9": "Sittingbourne", "ME10": "Sittingbourne", "ME11": "Queenborough",
    "ME12": "Sheerness", "ME13": "Faversham", "CT7": "Birchington",
    "CT8": "Westgate-on-Sea", "CT9": "Margate", "CT10": "Broadstairs",
    "CT11": "Ramsgate", "CT12": "Ramsgate", "TN9": "Tonbridge", "TN10": "Tonbridge",
    "TN11": "Tonbridge", "ME19": "West Malling", "ME20": "Aylesford",
    "ME6": "Snodland", "TN1": "Tunbridge Wells", "TN2": "Tunbridge Wells",
    "TN3": "Tunbridge Wells", "TN4": "Tunbridge Wells", "TN12": "Tonbridge",
    "TN17": "Cranbrook", "TN18": "Hawkhurst",
    "ME4": "Chatham", "ME5": "Chatham", "ME7": "Gillingham", "ME8": "Gillingham",
    "ME1": "Rochester", "ME2": "Rochester",
}

OUT_OF_AREA_OUTWARD: tuple[str, ...] = ("ME4", "ME5", "ME7", "ME8", "ME1", "ME2")

# Inward codes never use these letters (Royal Mail rule), so avoid them when inventing.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


# Families of Polish, South Asian and West African origin, as shares of households, and
# what their members are called. Kent's 2011 census counted about 3.7 % Asian, 1 % Black
# African and 3.3 % "other White" (mostly Central and Eastern European) residents; the
# shares below are of households drawn with these naming traditions. A partner is of
# another origin in MIXED_PARTNER of couples, and children born here get an English
# forename in ENGLISH_CHILD of cases.
ORIGIN_SHARES: dict[str, float] = {"polish": 0.03, "south_asian": 0.04, "west_african": 0.015}
MIXED_PARTNER = 0.15
ENGLISH_CHILD = 0.25

ORIGIN_FORENAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "polish": {
        "M": ("Krzysztof", "Tomasz", "Piotr", "Paweł", "Michał", "Jakub", "Łukasz", "Marcin", "Grzegorz",
              "Wojciech", "Mateusz", "Kacper", "Szymon", "Bartosz", "Andrzej", "Dawid", "Kamil", "Marek",
              "Rafał", "Maciej", "Dariusz", "Sebastian", "Filip", "Adrian", "Damian"),
        "F": ("Małgorzata", "Katarzyna", "Agnieszka", "Anna", "Magdalena", "Joanna", "Aleksandra",
              "Zuzanna", "Justyna", "Monika", "Ewa", "Barbara", "Elżbieta", "Dorota", "Natalia", "Maria",
              "Julia", "Weronika", "Wiktoria", "Beata", "Karolina", "Paulina", "Marta", "Iwona", "Patrycja"),
    },
    "south_asian": {
        "M": ("Mohammed", "Muhammad", "Imran", "Rajinder", "Rajesh", "Sanjay", "Gurpreet", "Jaswinder",
              "Sukhwinder", "Manpreet", "Pradeep", "Vikram", "Arjun", "Aarav", "Rohan", "Prakash", "Bishal",
              "Dipendra", "Krishna", "Hamza", "Ibrahim", "Zubair", "Faisal", "Bilal", "Yusuf", "Rahul",
              "Nikhil", "Siddharth", "Abdullah", "Harpreet"),
        "F": ("Parveen", "Nasreen", "Fatima", "Ayesha", "Shabana", "Rukhsana", "Harpreet", "Manjit",
              "Jaspreet", "Gurinder", "Kamaljit", "Priya", "Anjali", "Pooja", "Sunita", "Lakshmi", "Deepika",
              "Samina", "Zainab", "Maryam", "Neha", "Kiran", "Asha", "Sabina", "Rubina"),
    },
    "west_african": {
        "M": ("Oluwaseun", "Oluwaseyi", "Oluwatobi", "Olumide", "Oluwafemi", "Babatunde", "Adebayo",
              "Olusegun", "Adewale", "Oluwadamilare", "Chukwuemeka", "Chinedu", "Ikechukwu", "Obinna",
              "Nnamdi", "Kwame", "Kofi", "Kwabena", "Kwaku", "Ayodeji", "Oluwatosin", "Temitope", "Chidiebere"),
        "F": ("Oluwakemi", "Oluwabukola", "Folasade", "Olufunke", "Oluwatoyin", "Chiamaka", "Ngozi", "Chinwe",
              "Adaeze", "Oluwafunmilayo", "Abimbola", "Titilayo", "Adenike", "Oluwadamilola", "Akosua", "Abena",
              "Adwoa", "Temitope", "Oluwatosin", "Omolara", "Ifeoma", "Chioma", "Yetunde"),
    },
}

ORIGIN_SURNAMES: dict[str, tuple[str, ...]] = {
    # Polish surnames in -ski/-cki take -ska/-cka for women and girls (see feminine_surname).
    "polish": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
               "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
               "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski", "Michalski",
               "Król", "Wieczorek", "Jabłoński", "Wróbel", "Zając", "Wasilewski", "Sikora", "Baran", "Górski"),
    "south_asian": ("Singh", "Kaur", "Patel", "Khan", "Ahmed", "Hussain", "Ali", "Begum", "Akhtar", "Shah",
                    "Sharma", "Gill", "Sandhu", "Dhillon", "Sidhu", "Chauhan", "Mistry", "Chowdhury", "Rahman",
                    "Islam", "Gurung", "Rai", "Limbu", "Tamang", "Thapa", "Magar", "Shrestha", "Iqbal", "Malik",
                    "Bibi"),
    "west_african": ("Okafor", "Adeyemi", "Mensah", "Okonkwo", "Adebayo", "Eze", "Nwosu", "Okeke", "Boateng",
                     "Asante", "Owusu", "Osei", "Appiah", "Adewale", "Ogunleye", "Balogun", "Afolabi", "Okoro",
                     "Olawale", "Babatunde", "Oyelaran", "Ogunbiyi", "Nwachukwu", "Obi", "Addo"),
}


def feminine_surname(surname: str) -> str:
    """Kowalski -> Kowalska, Zieliński -> Zielińska, Górski -> Górska; others unchanged."""
    return surname[:-1] + "a" if surname.endswith(("ski", "cki")) else surname


def masculine_surname(surname: str) -> str:
    """Kowalska -> Kowalski (a son named from his mother's surname); others unchanged."""
    return surname[:-1] + "i" if surname.endswith(("ska", "cka")) else surname


# Diminutives and the English forms people of these origins are often recorded under.
# Polish: the diminutives of Polish Wiktionary's index of given names ("Indeks:Polski -
# Imiona", CC BY-SA 4.0), with the English equivalents used in UK records. South Asian and
# West African: no maintained open list was found; these are the short forms in common
# use (Mohd, Raj, Jas, Seun, Tunde, Kemi...), documented in matching/NICKNAMES.md.
DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "Krzysztof": ("Krzyś", "Krzysiek", "Chris"),
    "Tomasz": ("Tomek", "Tomuś", "Tom"),
    "Piotr": ("Piotrek", "Peter"),
    "Paweł": ("Pawełek", "Paul"),
    "Michał": ("Michałek", "Misiek", "Michael"),
    "Jakub": ("Kuba", "Kubuś", "Jacob"),
    "Łukasz": ("Łukaszek", "Luke"),
    "Marcin": ("Marcinek", "Martin"),
    "Grzegorz": ("Grześ", "Grzesiek", "Greg"),
    "Wojciech": ("Wojtek", "Wojtuś"),
    "Mateusz": ("Mati", "Mateuszek", "Matt"),
    "Kacper": ("Kacperek",),
    "Szymon": ("Szymek", "Simon"),
    "Bartosz": ("Bartek", "Bart"),
    "Andrzej": ("Jędrek", "Andrzejek", "Andrew"),
    "Dawid": ("Dawidek", "David"),
    "Marek": ("Mareczek", "Mark"),
    "Rafał": ("Rafałek",),
    "Maciej": ("Maciek", "Maciuś"),
    "Dariusz": ("Darek",),
    "Sebastian": ("Seba", "Sebuś"),
    "Filip": ("Filipek",),
    "Małgorzata": ("Gosia", "Małgosia", "Gośka"),
    "Katarzyna": ("Kasia", "Kaśka", "Kate"),
    "Agnieszka": ("Aga", "Agusia", "Agnes"),
    "Anna": ("Ania", "Anka", "Anusia"),
    "Magdalena": ("Magda", "Madzia"),
    "Joanna": ("Asia", "Joasia", "Jo"),
    "Aleksandra": ("Ola", "Olka", "Alex"),
    "Zuzanna": ("Zuzia", "Zuza"),
    "Justyna": ("Justynka",),
    "Monika": ("Monia",),
    "Ewa": ("Ewka", "Ewunia", "Eva"),
    "Barbara": ("Basia", "Baśka"),
    "Elżbieta": ("Ela", "Elka", "Elizabeth"),
    "Dorota": ("Dorotka",),
    "Natalia": ("Natka", "Natalie"),
    "Maria": ("Marysia", "Mary"),
    "Julia": ("Julka", "Julcia"),
    "Weronika": ("Werka", "Wera"),
    "Wiktoria": ("Wika", "Vicky"),
    "Beata": ("Beatka",),
    "Karolina": ("Karolinka", "Caroline"),
    "Paulina": ("Paulinka",),
    "Marta": ("Martusia",),
    "Iwona": ("Iwonka",),
    "Patrycja": ("Pati",),
    "Alicja": ("Ala", "Alusia"),
    "Mohammed": ("Mohd", "Md", "Mo"),
    "Muhammad": ("Mohd", "Md"),
    "Imran": ("Immy",),
    "Rajinder": ("Raj",),
    "Rajesh": ("Raj",),
    "Sanjay": ("Sanj",),
    "Gurpreet": ("Guri",),
    "Jaswinder": ("Jas", "Jassi"),
    "Sukhwinder": ("Sukhi",),
    "Manpreet": ("Manny",),
    "Pradeep": ("Deep",),
    "Vikram": ("Vik",),
    "Dipendra": ("Dipen",),
    "Krishna": ("Krish",),
    "Ibrahim": ("Ibby",),
    "Nikhil": ("Nik",),
    "Siddharth": ("Sid",),
    "Jaspreet": ("Jas",),
    "Gurinder": ("Guri",),
    "Kamaljit": ("Kam",),
    "Anjali": ("Anju",),
    "Oluwaseun": ("Seun",),
    "Oluwaseyi": ("Seyi",),
    "Oluwatobi": ("Tobi",),
    "Olumide": ("Mide",),
    "Oluwafemi": ("Femi",),
    "Babatunde": ("Tunde",),
    "Adebayo": ("Bayo",),
    "Olusegun": ("Segun",),
    "Adewale": ("Wale",),
    "Oluwadamilare": ("Dami", "Lare"),
    "Chukwuemeka": ("Emeka",),
    "Chinedu": ("Nedu",),
    "Ikechukwu": ("Ike", "Iyke"),
    "Obinna": ("Obi",),
    "Kwabena": ("Kobby",),
    "Ayodeji": ("Deji", "Ayo"),
    "Oluwatosin": ("Tosin",),
    "Temitope": ("Tope",),
    "Chidiebere": ("Chidi",),
    "Oluwakemi": ("Kemi",),
    "Oluwabukola": ("Bukola", "Bukky"),
    "Folasade": ("Sade", "Fola"),
    "Olufunke": ("Funke",),
    "Oluwatoyin": ("Toyin",),
    "Chiamaka": ("Amaka",),
    "Adaeze": ("Ada",),
    "Oluwafunmilayo": ("Funmi", "Funmilayo"),
    "Abimbola": ("Bimbo",),
    "Titilayo": ("Titi",),
    "Adenike": ("Nike",),
    "Oluwadamilola": ("Dami", "Lola"),
    "Omolara": ("Lara",),
    "Ifeoma": ("Ife",),
}

# Twins named to go together (shares in mess.MessRates: twins_close, twins_nicknamed,
# twins_alike). CLOSE: alike, yet more than two edits apart. NICKNAMED: formal names of
# different people whose short forms are alike (Tom and Tim), so that the twins are often
# written by nicknames of different names. ALIKE: two real names within two edits (Jack
# and Jake); siblings almost never are, so off by default.
TWIN_NAMES_CLOSE: tuple[tuple[str, str, str, str], ...] = (
    # (first, sex, second, sex)
    ("Matthew", "M", "Matthias", "M"), ("Harrison", "M", "Harriet", "F"), ("Freddie", "M", "Frankie", "M"),
    ("Daisy", "F", "Maisie", "F"), ("Harry", "M", "Hannah", "F"), ("Jessica", "F", "Jasmine", "F"),
    ("Ruby", "F", "Rosie", "F"), ("Mason", "M", "Marcus", "M"), ("Amelia", "F", "Amber", "F"),
    ("Jacob", "M", "Joshua", "M"), ("Oliwia", "F", "Olivier", "M"), ("Oluwaseun", "M", "Oluwatosin", "M"),
)
TWIN_NAMES_NICKNAMED: tuple[tuple[str, str, str, str], ...] = (
    ("Thomas", "M", "Timothy", "M"), ("Samuel", "M", "Daniel", "M"), ("Benjamin", "M", "Kenneth", "M"),
    ("James", "M", "Timothy", "M"), ("Jennifer", "F", "Jessica", "F"), ("Samantha", "F", "Pamela", "F"),
    ("Aleksandra", "F", "Alicja", "F"), ("Jakub", "M", "Tomasz", "M"),
    ("Katarzyna", "F", "Magdalena", "F"), ("Oluwaseyi", "M", "Oluwafemi", "M"),
)
TWIN_NAMES_ALIKE: tuple[tuple[str, str, str, str], ...] = (
    ("Jack", "M", "Jake", "M"), ("Ella", "F", "Emma", "F"), ("Amy", "F", "Ava", "F"), ("Leo", "M", "Leon", "M"),
    ("Alexander", "M", "Alexandra", "F"), ("Daniel", "M", "Danielle", "F"), ("Anna", "F", "Joanna", "F"),
)
