/* SPDX-License-Identifier: ISC */
/*
 * daemon/demo_data.c - deterministic demo contacts, written as CSV
 *
 * Draws contacts one at a time and writes each to contacts.csv and, when it
 * is one, to activists.csv and newsletter.csv, so memory holds only the
 * addresses already handed out (to keep them unique) and not the rows.
 * Every choice comes from one xoshiro256** stream seeded through
 * splitmix64, and every proportion is an integer weight, so the files
 * depend on the seed alone. The draws happen in a fixed order per contact:
 * changing a table or the order changes every file after that point, which
 * is fine for demo data but means the files are not stable across versions
 * of this code.
 *
 * A contact's locale comes first; it picks the mix of name origins, the
 * region (hence city and country) and the mailbox providers, so Flemish
 * names mostly live in Flanders under nl-BE and use telenet.be, and French
 * ones live in France and use orange.fr. The overall mix is tuned to the
 * NGO's: about 45% fr-BE, 35% nl-BE, 12% fr-FR; gmail.com 28%, telenet.be
 * and hotmail.com 9% each; 10% of organisation domains.
 *
 * Deliberately not modelled: households, typos, duplicates, and anything
 * that would make a row fail to import. The addresses are syntactically
 * valid (dot-atom local parts, LDH or IDNA-valid domains) but invented.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "demo_data.h"
#include "util/alloc.h"
#include "util/str.h"
#include "util/utf8.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define PATH_LEN	4096	/* an output path, NUL included */
#define IOBUF_LEN	(1024 * 1024)	/* stdio buffer of each file */
#define ROW_LEN		1024	/* a CSV row; ours are under 300 bytes */
#define NAME_LEN	25	/* a folded name, NUL included */
#define LOCAL_LEN	96	/* a local part before its suffix */
#define EMAIL_LEN	192	/* an address as written */
#define ORG_LEN		64	/* a generated organisation domain */

#define IDN_PPM		33	/* IDN domains: ~20 in 600,000 */
#define UPPER_PPM	5000	/* domains with capitals: 0.5% */
#define NO_CITY_PCT	5	/* no city or postcode */
#define NO_FIRST_PERMIL	20	/* first_name left empty */
#define NO_LAST_PERMIL	10	/* last_name left empty */
#define TEXT_PCT	5	/* newsletter_format = text */
#define ORG_REAL_PCT	20	/* tail addresses at a real institution */

/*
 * Membership out of 600, as the NGO's: 195 activists, 220 newsletter
 * readers, 80 of them both.
 */
#define MEMBER_SCALE	600
#define MEMBER_BOTH	80
#define MEMBER_ACT	195
#define MEMBER_NEWS	220

/* The first and last day a contact may have joined, inclusive. */
#define JOIN_FIRST_Y	2012
#define JOIN_LAST_Y	2026
#define JOIN_LAST_M	6
#define JOIN_LAST_D	30

struct rng {
	uint64_t	 s[4];		/* xoshiro256** state */
};

enum locale_id {
	LOC_FR_BE,
	LOC_NL_BE,
	LOC_FR_FR,
	LOC_DE_BE,
	LOC_EN,
	LOC_NL,
	LOC_LAST
};

enum first_group {
	FN_FR,			/* French and Walloon */
	FN_NL,			/* Flemish and Dutch */
	FN_DE,			/* German-speaking Belgian */
	FN_EN,
	FN_OTHER,		/* Maghrebi, Turkish, Italian, Polish... */
	FN_LAST
};

enum last_group {
	LN_FR,			/* common in France */
	LN_WAL,			/* Walloon and Brussels */
	LN_FL,			/* Flemish */
	LN_NLNL,		/* Dutch */
	LN_DE,			/* German-speaking Belgian */
	LN_EN,
	LN_OTHER,
	LN_LAST
};

struct name_list {
	const char *const	*v;
	size_t			 n;
};

/* Where a contact lives: a list of cities in one country. */
enum region {
	REG_BRU_FR,		/* Brussels, French names */
	REG_BRU_NL,		/* Brussels, Dutch names */
	REG_WAL,
	REG_VLA,
	REG_EAST,		/* the German-speaking cantons */
	REG_FR,
	REG_LU,
	REG_NL,
	REG_LAST
};

struct city {
	const char	*name;
	const char	*postcode;
	unsigned	 w;
};

struct region_def {
	const struct city	*cities;
	size_t			 n;
	const char		*country;
};

/* Contacts that share a mix of mailbox providers. */
enum mail_group {
	MG_BEFR,		/* French-speaking Belgium */
	MG_BENL,		/* Flanders and Dutch-speaking Brussels */
	MG_FR,
	MG_NL,
	MG_LU,
	MG_INTL,		/* English speakers, wherever they live */
	MG_LAST
};

struct mail_domain {
	const char	*name;		/* NULL: an organisation domain */
	unsigned	 w[MG_LAST];
};

/* Organisation domains: one pool per part of the base. */
enum pool_id {
	POOL_BEFR,
	POOL_BENL,
	POOL_FR,
	POOL_INTL,
	POOL_LAST
};

struct affix {
	const char	*pre;
	const char	*post;
};

struct pool_def {
	const char *const	*real;
	size_t			 nreal;
	const struct affix	*affix;
	size_t			 naffix;
	unsigned		 names;		/* bit mask of last_group */
	size_t			 want;		/* generated domains */
};

/* How a local part is made of the folded names. */
enum local_pattern {
	LP_FIRST_DOT_LAST,	/* jerome.dupont */
	LP_INITIAL_LAST,	/* jdupont */
	LP_INITIAL_DOT_LAST,	/* j.dupont */
	LP_FIRST_UNDER_LAST,	/* jerome_dupont */
	LP_FIRST_DOT_LAST_YY,	/* jerome.dupont87 */
	LP_FIRSTLAST_NUM,	/* jeromedupont312 */
	LP_FIRSTLAST,		/* jeromedupont */
	LP_FIRST_INITIAL,	/* jeromed */
	LP_LAST_DOT_FIRST,	/* dupont.jerome */
	LP_FIRST_DASH_LAST,	/* jerome-dupont */
	LP_FIRST_YEAR,		/* jerome1987 */
	LP_LAST
};

enum status_id {
	ST_ACTIVE,
	ST_UNSUBSCRIBED,
	ST_BOUNCED,
	ST_COMPLAINED,
	ST_LAST
};

/*
 * A set of strings: open addressing over a power-of-two table, each slot
 * holding 32 bits of hash and the offset + 1 of its key in an arena (0 is
 * an empty slot). Sized once for its maximum number of keys at a load of
 * at most one half, so it never rehashes.
 */
struct strset {
	uint64_t	*slot;
	size_t		 mask;
	size_t		 count;
	size_t		 max;		/* keys it was sized for */
	char		*arena;		/* NUL-terminated keys, back to back */
	size_t		 used;
	size_t		 size;
};

struct gen {
	struct rng	 rng;
	struct strset	 emails;	/* lower-cased addresses handed out */
	struct strset	 orgs;		/* organisation domains, distinct */
	char		(*org)[ORG_LEN]; /* all pools, back to back */
	size_t		 pool_off[POOL_LAST];
	size_t		 pool_len[POOL_LAST];
	long		 join_first;	/* days since 1970-01-01 */
	long		 join_days;	/* how many days one may join on */
};

struct contact {
	const char		*first;		/* as written; "" if none */
	const char		*last;
	const char		*locale;
	const char		*status;	/* "" when active */
	enum status_id		 st;
	const struct city	*city;		/* NULL if not given */
	const char		*country;
	int			 activist;
	int			 newsletter;
	const char		*petition;	/* if activist */
	const char		*format;	/* if newsletter */
	char			 email[EMAIL_LEN];
	char			 joined[16];
};

struct row {
	char		 b[ROW_LEN];
	size_t		 len;
	int		 overflow;
};

struct out {
	const char	*name;		/* "contacts.csv" */
	char		 path[PATH_LEN];
	char		 tmp[PATH_LEN];	/* path + ".tmp", written first */
	FILE		*fp;
	char		*iobuf;
	int		 created;	/* tmp exists and is ours */
};

enum out_id {
	OUT_CONTACTS,
	OUT_ACTIVISTS,
	OUT_NEWSLETTER,
	OUT_LAST
};

static uint64_t	 splitmix64(uint64_t *);
static void	 rng_seed(struct rng *, uint64_t);
static uint64_t	 rng_next(struct rng *);
static uint32_t	 rng_below(struct rng *, uint32_t);
static size_t	 rng_pick(struct rng *, const unsigned *, size_t);
static size_t	 rng_skewed(struct rng *, size_t);
static const char *fold_cp(uint32_t, char [2]);
static void	 fold(const char *, char *, size_t);
static uint64_t	 hash_str(const char *, size_t);
static int	 strset_init(struct strset *, size_t);
static int	 strset_add(struct strset *, const char *, size_t);
static void	 strset_free(struct strset *);
static int	 gen_init(struct gen *, uint64_t, size_t);
static size_t	 pool_names(const struct pool_def *);
static int	 gen_pools(struct gen *);
static void	 gen_free(struct gen *);
static const char *pick_name(struct rng *, const struct name_list *,
		    const unsigned *, size_t);
static const struct city *pick_city(struct rng *, const struct region_def *);
static const char *pick_domain(struct gen *, enum mail_group);
static void	 upcase_domain(struct rng *, const char *, char *, size_t);
static int	 make_local(struct rng *, const char *, const char *, char *,
		    size_t);
static int	 make_email(struct gen *, const char *, const char *, char *,
		    size_t);
static long	 days_from_civil(long, unsigned, unsigned);
static void	 civil_from_days(long, long *, unsigned *, unsigned *);
static int	 gen_contact(struct gen *, struct contact *);
static void	 row_put(struct row *, const char *, size_t);
static void	 row_field(struct row *, const char *, char);
static int	 errno_code(int);
static int	 out_open(struct out *, const char *, const char *,
		    struct clr_err *);
static int	 out_write(struct out *, const char *, size_t,
		    struct clr_err *);
static int	 out_row(struct out *, const struct row *, struct clr_err *);
static int	 out_close(struct out *, struct clr_err *);
static void	 out_discard(struct out *);

static const char *const locale_tags[LOC_LAST] = {
	[LOC_FR_BE] = "fr-BE",
	[LOC_NL_BE] = "nl-BE",
	[LOC_FR_FR] = "fr-FR",
	[LOC_DE_BE] = "de-BE",
	[LOC_EN] = "en",
	[LOC_NL] = "nl"
};

static const unsigned locale_weights[LOC_LAST] = {	/* per mille */
	[LOC_FR_BE] = 450,
	[LOC_NL_BE] = 350,
	[LOC_FR_FR] = 120,
	[LOC_DE_BE] = 20,
	[LOC_EN] = 50,
	[LOC_NL] = 10
};

/*
 * Names. Lists are in rough order of frequency: a name is drawn as the
 * smaller of two uniform indexes, so the first ones come up about twice as
 * often as the average and the last ones rarely.
 */
static const char *const fn_fr[] = {
	"Marie", "Julie", "Sophie", "Nathalie", "Isabelle", "Jean", "Pierre",
	"Philippe", "Michel", "Nicolas", "Camille", "Léa", "Chloé", "Céline",
	"François", "Amélie", "Hélène", "Anaïs", "Benoît", "Jérôme", "Éloïse",
	"Zoë", "Maëlle", "Noël", "Loïc", "Gaëlle", "Thérèse", "Inès",
	"Raphaël", "Joël", "Catherine", "Véronique", "Valérie", "Sandrine",
	"Stéphanie", "Aurélie", "Mélanie", "Émilie", "Charlotte", "Manon",
	"Juliette", "Louise", "Alice", "Emma", "Clara", "Margaux", "Pauline",
	"Océane", "Laetitia", "Geneviève", "Françoise", "Monique", "Brigitte",
	"Christiane", "Martine", "Danièle", "Marie-Claire", "Anne-Sophie",
	"Marie-Noëlle", "Ophélie", "Solène", "Héloïse", "Agnès", "Capucine",
	"Jean-Pierre", "Jean-Marc", "Alain", "Bernard", "Christophe",
	"Olivier", "Thierry", "Didier", "Pascal", "Frédéric", "Stéphane",
	"Sébastien", "Grégory", "Cédric", "Jérémy", "Maxime", "Antoine",
	"Julien", "Mathieu", "Guillaume", "Quentin", "Hugo", "Louis", "Lucas",
	"Théo", "Arnaud", "Xavier", "Benjamin", "Adrien", "Valentin",
	"Gaëtan", "Aurélien", "Rémi", "Baptiste", "Étienne", "Clément",
	"Léon", "Victor", "Gérard", "René", "André", "Jacques", "Marc",
	"Denis", "Yves", "Régis", "Hervé", "Anne", "Lucie", "Élodie",
	"Mégane", "Noémie", "Maïté", "Josiane", "Ghislaine", "Renée"
};

static const char *const fn_nl[] = {
	"Pieter", "Sofie", "Jelle", "Lotte", "Wouter", "Femke", "Bram",
	"Annelies", "Joris", "Stijn", "Griet", "Koen", "Bart", "Tom", "Jan",
	"Wim", "Dirk", "Geert", "Luc", "Peter", "Kris", "Tim", "Jef", "Lien",
	"Els", "An", "Katrien", "Veerle", "Hilde", "Inge", "Kristof", "Tine",
	"Sarah", "Nele", "Eline", "Jolien", "Lore", "Ruben", "Seppe", "Arne",
	"Wannes", "Thijs", "Jonas", "Robbe", "Lars", "Sander", "Maarten",
	"Dries", "Ward", "Lieselot", "Evelien", "Hanne", "Marieke",
	"Liesbeth", "Ilse", "Ann-Sofie", "Marijke", "Nand", "Warre", "Ine",
	"Fien", "Roos", "Noor", "Jana", "Margot", "Marthe", "Anouk", "Joost",
	"Niels", "Mieke", "Godelieve", "Rik", "Frederik", "Jeroen", "Gert",
	"Hendrik", "Michiel", "Lowie", "Chloë", "Daphné", "Zoë", "Noël"
};

static const char *const fn_de[] = {
	"Jürgen", "Sabine", "Klaus", "Monika", "Stefan", "Andrea", "Günther",
	"Jörg", "Ute", "Lukas", "Leonie", "Lena", "Mathias", "Sandra",
	"Birgit", "Hans", "Björn", "Ursula", "Norbert", "Bärbel", "Gisela",
	"Hubert", "Annegret", "Tobias"
};

static const char *const fn_en[] = {
	"Sarah", "James", "Emily", "Michael", "Laura", "David", "Hannah",
	"Daniel", "Rachel", "Thomas", "Olivia", "Patrick", "Siobhan", "Niamh",
	"Seán", "Chris", "Kate", "Liam"
};

static const char *const fn_other[] = {
	"Mohamed", "Fatima", "Yasmine", "Karim", "Nadia", "Mehdi", "Samir",
	"Amina", "Youssef", "Salma", "Ilyas", "Aïcha", "Rachid", "Leïla",
	"Emre", "Özlem", "Ayşe", "Giulia", "Marco", "Agnieszka", "Łukasz",
	"João", "José", "Grâce"
};

static const char *const ln_fr[] = {
	"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand",
	"Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy",
	"Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet",
	"Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Lefebvre",
	"Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
	"Chevalier", "François", "Legrand", "Gauthier", "Perrin", "Robin",
	"Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
	"Masson", "Marchand", "Duval", "Denis", "Lemaire", "Noël", "Dufour",
	"Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas",
	"Brunet", "Gaillard", "Barbier", "Arnaud", "Gérard", "Thibault",
	"Lemaître", "Frère", "Bérard", "Lécuyer", "Chrétien", "Bouchard"
};

static const char *const ln_wal[] = {
	"Dubois", "Lambert", "Renard", "Leclercq", "Lejeune", "Dupont",
	"Hénin", "Collignon", "Delvaux", "Jacquemin", "Marchal", "Delhaye",
	"Wathelet", "Piron", "Lhoest", "Dethier", "Gillet", "Massart",
	"Delcourt", "Wéry", "Gilson", "Lemoine", "Laloux", "Thiry", "Dumont",
	"Dewez", "Goffin", "Lecomte", "Hubert", "Pirotte", "Romain",
	"Grégoire", "Mathy", "Gobert", "Demoulin", "Lhomme", "Bodart",
	"Léonard", "Henrotte", "Closset", "Dechamps", "Hanquet", "Remacle",
	"Warnier", "Defossé", "Halleux", "Marée", "Gilles", "Detry",
	"Malherbe", "Ledent", "Lacroix", "Jadot", "Crèvecœur", "Desmedt",
	"Vandenberghe", "Lemaître", "Frère", "Gérard", "Thibault"
};

static const char *const ln_fl[] = {
	"Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems",
	"Claes", "Goossens", "Wouters", "De Smet", "Desmet", "Van den Broeck",
	"Van Damme", "De Clercq", "Vermeulen", "D'Hondt", "Verstraeten",
	"Dewulf", "Hermans", "Michiels", "Lemmens", "Aerts", "Smets",
	"Pauwels", "Cools", "Martens", "Verbeke", "Segers", "Van de Velde",
	"Dumon", "Vandamme", "De Backer", "De Vos", "Stevens", "Dierckx",
	"Van Hoof", "Coppens", "Geerts", "Vervoort", "Van Acker", "Baert",
	"Bogaert", "Claeys", "De Wilde", "Van Dyck", "Hendrickx", "Peters",
	"Leys", "Verhaeghe", "Vanhove", "Verhelst", "Sels", "Van Looy",
	"Vanderstraeten", "De Meyer", "Huysmans", "Wuyts", "Verbruggen",
	"Van Hecke", "De Cock", "Cornelis", "Timmermans", "Bosmans",
	"Van Laere", "De Ridder", "Thys", "Meeus", "Vlaeminck",
	"Van der Auwera", "Vanhoutte", "T'Jampens", "T'Kint", "Van Roey",
	"Sterckx", "Dewaele", "Schepens", "Pieters", "Lauwers", "Van Gucht",
	"Callebaut", "Declercq", "Vereecken", "Bracke", "Moens", "Daems"
};

static const char *const ln_nlnl[] = {
	"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker",
	"Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos",
	"Vos", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
	"van der Meer", "'t Hart", "van 't Hof"
};

static const char *const ln_de[] = {
	"Müller", "Schmitz", "Schmidt", "Lambertz", "Krings", "Heinen",
	"Thelen", "Kohnen", "Lentz", "Jost", "Hilgers", "Cremer", "Pankert",
	"Kessler", "Paasch", "Kever", "Mießen", "Kreusch", "Ortmann",
	"Großmann", "Schneider", "Fischer", "Weber", "Hoffmann"
};

static const char *const ln_en[] = {
	"Smith", "Murphy", "O'Brien", "Jones", "Kelly", "Williams", "Brown",
	"Taylor", "O'Connor", "Walsh", "Byrne", "Evans", "Wilson", "MacDonald"
};

static const char *const ln_other[] = {
	"El Amrani", "Benali", "Bennani", "El Idrissi", "Aït Ouali",
	"Yılmaz", "Kaya", "Demir", "Öztürk", "Rossi", "Russo", "Esposito",
	"Bianchi", "Romano", "Kowalski", "Nowak", "Wiśniewska", "Mbuyi",
	"Kabasele", "Tshibangu", "Da Silva", "Ferreira", "García",
	"Fernández", "Nguyen"
};

static const struct name_list first_names[FN_LAST] = {
	[FN_FR] = { fn_fr, nitems(fn_fr) },
	[FN_NL] = { fn_nl, nitems(fn_nl) },
	[FN_DE] = { fn_de, nitems(fn_de) },
	[FN_EN] = { fn_en, nitems(fn_en) },
	[FN_OTHER] = { fn_other, nitems(fn_other) }
};

static const struct name_list last_names[LN_LAST] = {
	[LN_FR] = { ln_fr, nitems(ln_fr) },
	[LN_WAL] = { ln_wal, nitems(ln_wal) },
	[LN_FL] = { ln_fl, nitems(ln_fl) },
	[LN_NLNL] = { ln_nlnl, nitems(ln_nlnl) },
	[LN_DE] = { ln_de, nitems(ln_de) },
	[LN_EN] = { ln_en, nitems(ln_en) },
	[LN_OTHER] = { ln_other, nitems(ln_other) }
};

/* Origin of the first name, by locale (per cent). */
static const unsigned first_mix[LOC_LAST][FN_LAST] = {
	/*		 FR  NL  DE  EN  OTHER */
	[LOC_FR_BE] = {	 86,  6,  1,  2,  5 },
	[LOC_NL_BE] = {	  5, 88,  1,  2,  4 },
	[LOC_FR_FR] = {	 92,  0,  0,  2,  6 },
	[LOC_DE_BE] = {	 15,  5, 78,  2,  0 },
	[LOC_EN] = {	 20, 15,  8, 42, 15 },
	[LOC_NL] = {	  2, 92,  2,  2,  2 }
};

/* Origin of the last name, by locale (per cent). */
static const unsigned last_mix[LOC_LAST][LN_LAST] = {
	/*		 FR WAL  FL NLNL DE  EN OTHER */
	[LOC_FR_BE] = {	 28, 47, 17,  0,  2,  1,  5 },
	[LOC_NL_BE] = {	  3,  5, 88,  1,  1,  0,  2 },
	[LOC_FR_FR] = {	 88,  4,  1,  0,  1,  1,  5 },
	[LOC_DE_BE] = {	  5, 15,  5,  0, 75,  0,  0 },
	[LOC_EN] = {	 15, 10, 20,  5,  8, 30, 12 },
	[LOC_NL] = {	  0,  0, 25, 72,  2,  1,  0 }
};

/*
 * Where people live. Weights are rough populations within a region. A few
 * cities carry a comma or quotes, as hand-typed data does, so the files
 * exercise CSV quoting.
 */
static const struct city city_bru_fr[] = {
	{ "Bruxelles", "1000", 60 }, { "Laeken", "1020", 10 },
	{ "Schaerbeek", "1030", 45 }, { "Etterbeek", "1040", 18 },
	{ "Ixelles", "1050", 40 }, { "Bruxelles, Ixelles", "1050", 6 },
	{ "Saint-Gilles", "1060", 22 }, { "Anderlecht", "1070", 35 },
	{ "Molenbeek-Saint-Jean", "1080", 25 }, { "Koekelberg", "1081", 6 },
	{ "Berchem-Sainte-Agathe", "1082", 7 }, { "Ganshoren", "1083", 6 },
	{ "Jette", "1090", 14 }, { "Neder-Over-Heembeek", "1120", 4 },
	{ "Evere", "1140", 11 }, { "Woluwe-Saint-Pierre", "1150", 16 },
	{ "Auderghem", "1160", 14 }, { "Watermael-Boitsfort", "1170", 12 },
	{ "Uccle", "1180", 30 }, { "Forest", "1190", 22 },
	{ "Woluwe-Saint-Lambert", "1200", 20 },
	{ "Saint-Josse-ten-Noode", "1210", 8 },
	{ "Saint-Josse-ten-Noode \"Sint-Joost\"", "1210", 5 }
};

static const struct city city_bru_nl[] = {
	{ "Brussel", "1000", 40 }, { "Laken", "1020", 6 },
	{ "Schaarbeek", "1030", 14 }, { "Etterbeek", "1040", 8 },
	{ "Elsene", "1050", 12 }, { "Sint-Gillis", "1060", 8 },
	{ "Anderlecht", "1070", 12 }, { "Sint-Jans-Molenbeek", "1080", 10 },
	{ "Jette", "1090", 12 }, { "Ganshoren", "1083", 4 },
	{ "Evere", "1140", 6 }, { "Oudergem", "1160", 5 },
	{ "Ukkel", "1180", 8 }, { "Vorst", "1190", 6 },
	{ "Sint-Lambrechts-Woluwe", "1200", 6 },
	{ "Sint-Pieters-Woluwe", "1150", 6 },
	{ "Sint-Joost-ten-Node", "1210", 4 },
	{ "Brussel, Neder-Over-Heembeek", "1120", 2 }
};

static const struct city city_wal[] = {
	{ "Liège", "4000", 70 }, { "Namur", "5000", 45 },
	{ "Charleroi", "6000", 55 }, { "Mons", "7000", 35 },
	{ "Louvain-la-Neuve", "1348", 30 }, { "Ottignies", "1340", 10 },
	{ "Wavre", "1300", 14 }, { "Tournai", "7500", 20 },
	{ "Mouscron", "7700", 16 }, { "La Louvière", "7100", 20 },
	{ "Verviers", "4800", 16 }, { "Seraing", "4100", 16 },
	{ "Herstal", "4040", 10 }, { "Arlon", "6700", 9 },
	{ "Marche-en-Famenne", "6900", 6 }, { "Nivelles", "1400", 10 },
	{ "Waterloo", "1410", 11 }, { "Braine-l'Alleud", "1420", 12 },
	{ "Gembloux", "5030", 8 }, { "Dinant", "5500", 5 },
	{ "Huy", "4500", 7 }, { "Spa", "4900", 4 }, { "Bastogne", "6600", 5 },
	{ "Binche", "7130", 6 }, { "Ath", "7800", 7 },
	{ "Soignies", "7060", 6 },
	{ "Jodoigne", "1370", 4 }, { "Rixensart", "1330", 7 },
	{ "Court-Saint-Étienne", "1490", 3 }, { "Ciney", "5590", 4 },
	{ "Andenne", "5300", 5 }, { "Fleurus", "6220", 5 },
	{ "Châtelet", "6200", 6 }, { "Thuin", "6530", 3 },
	{ "Péruwelz", "7600", 3 }, { "Enghien", "7850", 3 },
	{ "Liège, Angleur", "4031", 4 }, { "Liège \"Outremeuse\"", "4020", 3 },
	{ "Chaudfontaine", "4050", 4 }, { "Esneux", "4130", 3 },
	{ "Visé", "4600", 4 }, { "Waremme", "4300", 3 },
	{ "Virton", "6760", 2 }, { "Libramont-Chevigny", "6800", 3 },
	{ "Neufchâteau", "6840", 2 }, { "Philippeville", "5600", 2 },
	{ "Couvin", "5660", 2 }
};

static const struct city city_vla[] = {
	{ "Antwerpen", "2000", 60 }, { "Antwerpen", "2018", 25 },
	{ "Berchem", "2600", 15 }, { "Borgerhout", "2140", 12 },
	{ "Gent", "9000", 60 }, { "Gentbrugge", "9050", 8 },
	{ "Leuven", "3000", 30 }, { "Heverlee", "3001", 10 },
	{ "Brugge", "8000", 25 }, { "Kortrijk", "8500", 18 },
	{ "Oostende", "8400", 16 }, { "Mechelen", "2800", 20 },
	{ "Aalst", "9300", 18 }, { "Hasselt", "3500", 18 },
	{ "Genk", "3600", 15 }, { "Sint-Niklaas", "9100", 14 },
	{ "Roeselare", "8800", 12 }, { "Turnhout", "2300", 9 },
	{ "Lier", "2500", 8 }, { "Vilvoorde", "1800", 9 },
	{ "Dendermonde", "9200", 8 }, { "Beveren", "9120", 8 },
	{ "Ieper", "8900", 6 }, { "Geel", "2440", 7 },
	{ "Herentals", "2200", 5 }, { "Tienen", "3300", 6 },
	{ "Halle", "1500", 8 }, { "Zaventem", "1930", 7 },
	{ "Dilbeek", "1700", 8 }, { "Sint-Truiden", "3800", 8 },
	{ "Tongeren", "3700", 6 }, { "Lokeren", "9160", 8 },
	{ "Ninove", "9400", 7 }, { "Waregem", "8790", 7 },
	{ "Knokke-Heist", "8300", 6 }, { "Diest", "3290", 4 },
	{ "Mol", "2400", 7 }, { "Brasschaat", "2930", 7 },
	{ "Schoten", "2900", 6 }, { "Zottegem", "9620", 5 },
	{ "Deinze", "9800", 6 }, { "Oudenaarde", "9700", 6 },
	{ "Maasmechelen", "3630", 6 }, { "Lommel", "3920", 6 },
	{ "Kapellen", "2950", 5 }, { "Wetteren", "9230", 5 },
	{ "Asse", "1730", 6 }, { "Grimbergen", "1850", 7 },
	{ "Tervuren", "3080", 4 }
};

static const struct city city_east[] = {
	{ "Eupen", "4700", 40 }, { "Kelmis", "4720", 22 },
	{ "Sankt Vith", "4780", 18 }, { "Raeren", "4730", 20 },
	{ "Lontzen", "4710", 11 }, { "Bütgenbach", "4750", 11 },
	{ "Büllingen", "4760", 11 }, { "Amel", "4770", 11 },
	{ "Burg-Reuland", "4790", 8 }
};

static const struct city city_fr[] = {
	{ "Paris", "75011", 20 }, { "Paris", "75018", 18 },
	{ "Paris", "75020", 18 }, { "Paris", "75005", 10 },
	{ "Paris", "75010", 12 }, { "Paris", "75014", 12 },
	{ "Paris, 11e", "75011", 4 }, { "Lille", "59000", 40 },
	{ "Roubaix", "59100", 12 }, { "Tourcoing", "59200", 10 },
	{ "Villeneuve-d'Ascq", "59650", 10 }, { "Lyon", "69003", 14 },
	{ "Lyon", "69007", 10 }, { "Marseille", "13001", 12 },
	{ "Marseille", "13005", 8 }, { "Toulouse", "31000", 14 },
	{ "Bordeaux", "33000", 12 }, { "Nantes", "44000", 12 },
	{ "Strasbourg", "67000", 12 }, { "Rennes", "35000", 10 },
	{ "Montpellier", "34000", 10 }, { "Grenoble", "38000", 8 },
	{ "Nice", "06000", 8 }, { "Metz", "57000", 7 },
	{ "Nancy", "54000", 7 }, { "Reims", "51100", 8 },
	{ "Amiens", "80000", 7 }, { "Dunkerque", "59140", 8 },
	{ "Valenciennes", "59300", 8 }, { "Maubeuge", "59600", 5 },
	{ "Charleville-Mézières", "08000", 6 },
	{ "Saint-Étienne", "42000", 6 }, { "Besançon", "25000", 5 },
	{ "Clermont-Ferrand", "63000", 5 }, { "Angers", "49000", 5 },
	{ "Dijon", "21000", 5 }, { "Caen", "14000", 5 },
	{ "Rouen", "76000", 5 }, { "Tours", "37000", 5 },
	{ "Orléans", "45000", 4 }, { "Montreuil", "93100", 6 },
	{ "Saint-Denis", "93200", 5 }, { "Aix-en-Provence", "13100", 4 },
	{ "Le Havre", "76600", 4 }, { "Limoges", "87000", 3 },
	{ "Poitiers", "86000", 3 }, { "Ajaccio", "20000", 2 },
	{ "Annecy", "74000", 3 }
};

static const struct city city_lu[] = {
	{ "Luxembourg", "1009", 20 }, { "Luxembourg", "2449", 15 },
	{ "Luxembourg", "1616", 10 }, { "Esch-sur-Alzette", "4001", 12 },
	{ "Differdange", "4501", 6 }, { "Dudelange", "3401", 6 },
	{ "Ettelbruck", "9001", 3 }, { "Diekirch", "9201", 3 },
	{ "Wiltz", "9501", 2 }, { "Echternach", "6401", 2 },
	{ "Mersch", "7501", 2 }, { "Strassen", "8001", 4 },
	{ "Bertrange", "8069", 3 }
};

static const struct city city_nl[] = {
	{ "Amsterdam", "1012 AB", 20 }, { "Rotterdam", "3011 AA", 12 },
	{ "Den Haag", "2511 BT", 10 }, { "Utrecht", "3511 AA", 10 },
	{ "Eindhoven", "5611 AA", 6 }, { "Maastricht", "6211 CL", 10 },
	{ "Breda", "4811 AA", 6 }, { "Nijmegen", "6511 AA", 5 },
	{ "Groningen", "9711 AA", 5 }, { "Middelburg", "4331 AA", 4 },
	{ "'s-Hertogenbosch", "5211 AA", 5 }, { "Tilburg", "5038 AA", 5 },
	{ "Haarlem", "2011 AA", 4 }, { "Leiden", "2311 AA", 4 }
};

static const struct region_def regions[REG_LAST] = {
	[REG_BRU_FR] = { city_bru_fr, nitems(city_bru_fr), "BE" },
	[REG_BRU_NL] = { city_bru_nl, nitems(city_bru_nl), "BE" },
	[REG_WAL] = { city_wal, nitems(city_wal), "BE" },
	[REG_VLA] = { city_vla, nitems(city_vla), "BE" },
	[REG_EAST] = { city_east, nitems(city_east), "BE" },
	[REG_FR] = { city_fr, nitems(city_fr), "FR" },
	[REG_LU] = { city_lu, nitems(city_lu), "LU" },
	[REG_NL] = { city_nl, nitems(city_nl), "NL" }
};

/* Where people live, by locale (per cent). */
static const unsigned region_mix[LOC_LAST][REG_LAST] = {
	/*		BRUFR BRUNL WAL VLA EAST  FR  LU  NL */
	[LOC_FR_BE] = {	 34,   0,  60,  3,   0,  0,  3,  0 },
	[LOC_NL_BE] = {	  0,  12,   1, 87,   0,  0,  0,  0 },
	[LOC_FR_FR] = {	  0,   0,   0,  0,   0, 100, 0,  0 },
	[LOC_DE_BE] = {	  0,   0,  10,  0,  85,  0,  5,  0 },
	[LOC_EN] = {	 55,   5,  10, 10,   0,  5, 12,  3 },
	[LOC_NL] = {	  0,   0,   0, 15,   0,  0,  0, 85 }
};

/*
 * Mailbox providers. Each group of contacts has its own mix; the weights
 * are about per mille and the last row is the share of organisation domains
 * (pools below). Over the whole base this gives gmail.com ~28%,
 * hotmail.com ~9%, telenet.be ~9%, skynet.be ~8%, outlook.com ~6%,
 * yahoo.fr ~5%, organisations ~10%.
 */
static const struct mail_domain mail_domains[] = {
	/*			 BEFR BENL  FR  NL  LU INTL */
	{ "gmail.com",		{ 283, 265, 300, 300, 300, 400 } },
	{ "hotmail.com",	{ 112,  80,  55,  90,  80,  90 } },
	{ "outlook.com",	{  58,  65,  50,  70,  60,  80 } },
	{ "yahoo.fr",		{  70,   8, 150,   0,  40,  15 } },
	{ "skynet.be",		{ 113,  75,   0,   0,  10,  25 } },
	{ "telenet.be",		{  27, 215,   0,  10,   5,  35 } },
	{ "proximus.be",	{  35,  35,   0,   0,   0,  10 } },
	{ "live.be",		{  45,  48,   0,   0,  10,  20 } },
	{ "hotmail.fr",		{  25,   3,  70,   0,  15,   5 } },
	{ "orange.fr",		{  12,   0, 230,   0,  10,  10 } },
	{ "free.fr",		{   5,   0, 170,   0,   5,   5 } },
	{ "icloud.com",		{  18,  22,  22,  30,  20,  30 } },
	{ "yahoo.com",		{   8,  10,   5,  15,  10,  45 } },
	{ "scarlet.be",		{  12,  12,   0,   0,   0,   5 } },
	{ "voo.be",		{  22,   0,   0,   0,   0,   3 } },
	{ "gmx.com",		{   4,   4,   5,  10,  10,  20 } },
	{ "protonmail.com",	{   5,   5,   5,  10,   5,  15 } },
	{ "laposte.net",	{   2,   0,  32,   0,   0,   2 } },
	{ "wanadoo.fr",		{   3,   0,  30,   0,   0,   2 } },
	{ "hotmail.be",		{  13,  12,   0,   0,   0,   5 } },
	{ "outlook.be",		{  11,  13,   0,   0,   0,   5 } },
	{ "pandora.be",		{   2,  12,   0,   0,   0,   0 } },
	{ "me.com",		{   3,   3,   3,   5,   3,   8 } },
	{ "msn.com",		{   4,   4,   3,   5,   3,   8 } },
	{ "base.be",		{   3,   4,   0,   0,   0,   0 } },
	{ "sfr.fr",		{   1,   0,  40,   0,   0,   1 } },
	{ "ziggo.nl",		{   0,   1,   0, 120,   0,   2 } },
	{ "kpnmail.nl",		{   0,   0,   0,  60,   0,   1 } },
	{ "xs4all.nl",		{   0,   0,   0,  30,   0,   1 } },
	{ "pt.lu",		{   0,   0,   0,   0, 120,   2 } },
	{ "post.lu",		{   0,   0,   0,   0,  60,   2 } },
	{ NULL,			{ 103, 101, 120, 110,  95,  95 } }
};

/*
 * Organisation domains: a few real institutions and a few thousand
 * generated ones (prefix + folded surname + suffix), in one pool per
 * part of the base.
 */
static const enum pool_id group_pool[MG_LAST] = {
	[MG_BEFR] = POOL_BEFR,
	[MG_BENL] = POOL_BENL,
	[MG_FR] = POOL_FR,
	[MG_NL] = POOL_INTL,
	[MG_LU] = POOL_INTL,
	[MG_INTL] = POOL_INTL
};

static const char *const real_befr[] = {
	"ulb.be", "uclouvain.be", "uliege.be", "student.uliege.be",
	"unamur.be", "umons.ac.be", "usaintlouis.be", "helmo.be", "he2b.be",
	"ichec.be", "henallux.be", "ephec.be", "brucity.be",
	"spw.wallonie.be", "cfwb.be"
};

static const char *const real_benl[] = {
	"kuleuven.be", "student.kuleuven.be", "ugent.be", "vub.be",
	"uantwerpen.be", "student.uantwerpen.be", "uhasselt.be",
	"arteveldehs.be", "odisee.be", "thomasmore.be", "howest.be",
	"hogent.be", "kdg.be", "ucll.be", "vives.be", "stad.gent"
};

static const char *const real_fr[] = {
	"univ-lille.fr", "sorbonne-universite.fr", "sciencespo.fr", "ens.fr",
	"u-paris.fr", "univ-lyon2.fr", "etu.univ-lyon1.fr", "univ-amu.fr",
	"ac-lille.fr", "ac-paris.fr", "ac-lyon.fr"
};

static const char *const real_intl[] = {
	"ec.europa.eu", "europarl.europa.eu", "consilium.europa.eu",
	"eeas.europa.eu", "nato.int", "un.org", "uni.lu", "education.lu",
	"uva.nl", "uu.nl", "maastrichtuniversity.nl",
	"student.maastrichtuniversity.nl", "tudelft.nl"
};

static const struct affix affix_befr[] = {
	{ "atelier-", ".be" }, { "cabinet-", ".be" }, { "notaire-", ".be" },
	{ "avocats-", ".be" }, { "pharmacie-", ".be" },
	{ "boulangerie-", ".be" }, { "garage-", ".be" },
	{ "menuiserie-", ".be" }, { "immo-", ".be" }, { "fiduciaire-", ".be" },
	{ "kine-", ".be" }, { "dentiste-", ".be" }, { "architecte-", ".be" },
	{ "brasserie-", ".be" }, { "librairie-", ".be" }, { "ferme-", ".be" },
	{ "imprimerie-", ".be" }, { "toitures-", ".be" },
	{ "chauffage-", ".be" }, { "jardins-", ".be" }, { "asbl-", ".be" },
	{ "studio-", ".be" }, { "traiteur-", ".be" }, { "bureau-", ".be" },
	{ "", "-avocats.be" }, { "", "-associes.be" }
};

static const struct affix affix_benl[] = {
	{ "brouwerij-", ".be" }, { "bakkerij-", ".be" },
	{ "advocaten-", ".be" }, { "notaris-", ".be" }, { "apotheek-", ".be" },
	{ "garage-", ".be" }, { "schrijnwerkerij-", ".be" }, { "immo-", ".be" },
	{ "boekhouding-", ".be" }, { "tandarts-", ".be" },
	{ "architect-", ".be" }, { "dakwerken-", ".be" }, { "tuinen-", ".be" },
	{ "drukkerij-", ".be" }, { "slagerij-", ".be" }, { "vzw-", ".be" },
	{ "kine-", ".be" }, { "schilderwerken-", ".be" }, { "elektro-", ".be" },
	{ "fietsen-", ".be" }, { "studio-", ".be" }, { "kantoor-", ".be" },
	{ "", "-bouw.be" }, { "", "-advocaten.be" }, { "", "-partners.be" }
};

static const struct affix affix_fr[] = {
	{ "cabinet-", ".fr" }, { "atelier-", ".fr" }, { "notaires-", ".fr" },
	{ "avocat-", ".fr" }, { "pharmacie-", ".fr" },
	{ "boulangerie-", ".fr" }, { "garage-", ".fr" },
	{ "menuiserie-", ".fr" }, { "immobilier-", ".fr" },
	{ "expert-comptable-", ".fr" }, { "association-", ".fr" },
	{ "kine-", ".fr" }, { "architecte-", ".fr" }, { "librairie-", ".fr" },
	{ "cave-", ".fr" }, { "agence-", ".fr" }, { "editions-", ".fr" },
	{ "", "-avocats.fr" }
};

static const struct affix affix_intl[] = {
	{ "", "-consulting.com" }, { "", "-partners.eu" }, { "", "-law.eu" },
	{ "", "-group.com" }, { "", "-design.com" }, { "fiduciaire-", ".lu" },
	{ "", "-associates.com" }, { "", ".lu" }, { "", "-advies.nl" },
	{ "studio-", ".eu" }
};

static const struct pool_def pool_defs[POOL_LAST] = {
	[POOL_BEFR] = { real_befr, nitems(real_befr), affix_befr,
	    nitems(affix_befr), (1u << LN_WAL) | (1u << LN_FR), 1000 },
	[POOL_BENL] = { real_benl, nitems(real_benl), affix_benl,
	    nitems(affix_benl), 1u << LN_FL, 1100 },
	[POOL_FR] = { real_fr, nitems(real_fr), affix_fr, nitems(affix_fr),
	    1u << LN_FR, 700 },
	[POOL_INTL] = { real_intl, nitems(real_intl), affix_intl,
	    nitems(affix_intl), (1u << LN_LAST) - 1, 400 }
};

/* Internationalised domains, written in UTF-8 as their owners would. */
static const char *const idn_domains[] = {
	"café-liège.be", "bücherei-eupen.be", "crèche-namur.be",
	"épicerie-fine-namur.be", "théâtre-mons.be",
	"boulangerie-françois.fr", "forêt-de-soignes.be", "bäckerei-kelmis.be",
	"müller-söhne.be", "maison-médicale-liège.be"
};

/* The weights of the local part patterns, per cent. */
static const unsigned local_weights[LP_LAST] = {
	34, 12, 8, 5, 10, 8, 8, 3, 6, 3, 3
};

static const char *const status_names[ST_LAST] = {
	[ST_ACTIVE] = "",
	[ST_UNSUBSCRIBED] = "unsubscribed",
	[ST_BOUNCED] = "bounced",
	[ST_COMPLAINED] = "complained"
};

static const unsigned status_weights[ST_LAST] = {	/* per 10,000 */
	[ST_ACTIVE] = 9530,
	[ST_UNSUBSCRIBED] = 300,
	[ST_BOUNCED] = 150,
	[ST_COMPLAINED] = 20
};

static const char *const petitions[] = {
	"Stop aux expulsions, maintenant",
	"Libérez les défenseurs des droits humains",
	"Pour un accueil digne des réfugiés",
	"Justice pour les victimes de torture",
	"Non à la peine de mort",
	"\"Pas en notre nom\" : stop aux ventes d'armes",
	"Protégeons les journalistes, partout",
	"Droit de manifester : ne touchez pas à nos libertés",
	"Fermez les centres fermés",
	"Climat, justice et droits humains",
	"Égalité, dignité, \"sans exception\""
};

static const char *const out_names[OUT_LAST] = {
	[OUT_CONTACTS] = "contacts.csv",
	[OUT_ACTIVISTS] = "activists.csv",
	[OUT_NEWSLETTER] = "newsletter.csv"
};

static const char *const out_headers[OUT_LAST] = {
	[OUT_CONTACTS] = ("email,first_name,last_name,locale,status,city,"
	    "postcode,country,joined\n"),
	[OUT_ACTIVISTS] = "email,last_petition\n",
	[OUT_NEWSLETTER] = "email,first_name,newsletter_format\n"
};

/* splitmix64 - the seeding generator recommended for xoshiro. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	 z;

	*x += 0x9E3779B97F4A7C15ULL;
	z = *x;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	int	 i;

	/* splitmix64 never yields four zero words, xoshiro's one bad state. */
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

/* rng_next - xoshiro256** (Blackman and Vigna, 2018). */
static uint64_t
rng_next(struct rng *r)
{
	uint64_t	*s = r->s;
	uint64_t	 x, t;

	x = s[1] * 5;
	x = ((x << 7) | (x >> 57)) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return x;
}

/* rng_below - uniform in [0, n), by multiply-shift (bias below 2^-32). */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* rng_pick - an index drawn with the given weights (not all zero). */
static size_t
rng_pick(struct rng *r, const unsigned *w, size_t n)
{
	uint32_t	 total = 0, x;
	size_t		 i;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* rng_skewed - an index in [0, n), the low ones more likely. */
static size_t
rng_skewed(struct rng *r, size_t n)
{
	uint32_t	 a, b;

	a = rng_below(r, (uint32_t)n);
	b = rng_below(r, (uint32_t)n);
	return a < b ? a : b;
}

/*
 * fold_cp - the ASCII spelling of one code point of a name: a lower-case
 * letter without its accent, a ligature spelled out, a digit or hyphen, or
 * nothing (spaces, apostrophes, anything not a letter of a Latin script).
 */
static const char *
fold_cp(uint32_t cp, char one[2])
{
	static const char *const latin1[32] = {	/* U+00E0..U+00FF */
		"a", "a", "a", "a", "a", "a", "ae", "c",
		"e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", "",
		"o", "u", "u", "u", "u", "y", "th", "y"
	};
	static const struct {
		uint32_t	 cp;
		const char	*s;
	} ext[] = {	/* Latin Extended-A, as used in the name tables */
		{ 0x0104, "a" }, { 0x0105, "a" }, { 0x0106, "c" },
		{ 0x0107, "c" }, { 0x010C, "c" }, { 0x010D, "c" },
		{ 0x0118, "e" }, { 0x0119, "e" }, { 0x011E, "g" },
		{ 0x011F, "g" }, { 0x0130, "i" }, { 0x0131, "i" },
		{ 0x0141, "l" }, { 0x0142, "l" }, { 0x0143, "n" },
		{ 0x0144, "n" }, { 0x0152, "oe" }, { 0x0153, "oe" },
		{ 0x015A, "s" }, { 0x015B, "s" }, { 0x015E, "s" },
		{ 0x015F, "s" }, { 0x0160, "s" }, { 0x0161, "s" },
		{ 0x0178, "y" }, { 0x0179, "z" }, { 0x017A, "z" },
		{ 0x017B, "z" }, { 0x017C, "z" }, { 0x017D, "z" },
		{ 0x017E, "z" }
	};
	size_t	 i;

	if (cp < 0x80) {
		cp = (uint32_t)str_ascii_lower((int)cp);
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
		    cp == '-') {
			one[0] = (char)cp;
			one[1] = '\0';
			return one;
		}
		return "";
	}
	if (cp == 0xDF)
		return "ss";
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		cp += 0x20;	/* Latin-1 capital to small letter */
	if (cp >= 0xE0 && cp <= 0xFF)
		return latin1[cp - 0xE0];
	for (i = 0; i < nitems(ext); i++)
		if (ext[i].cp == cp)
			return ext[i].s;
	return "";
}

/*
 * fold - a name as it goes in an address or a domain label: "D'Hondt" ->
 * "dhondt", "Jean-Pierre" -> "jean-pierre", "Crèvecœur" -> "crevecoeur".
 * Truncated to outsz - 1 bytes, without a trailing hyphen.
 */
static void
fold(const char *s, char *out, size_t outsz)
{
	const unsigned char	*p = (const unsigned char *)s;
	const char		*rep;
	size_t			 n = strlen(s), i = 0, o = 0, len;
	uint32_t		 cp;
	char			 one[2];

	while (i < n) {
		len = utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			i++;
			continue;
		}
		i += len;
		for (rep = fold_cp(cp, one); *rep != '\0'; rep++)
			if (o + 1 < outsz)
				out[o++] = *rep;
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
}

/* hash_str - FNV-1a, 64 bits. */
static uint64_t
hash_str(const char *s, size_t n)
{
	uint64_t	 h = 0xCBF29CE484222325ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001B3ULL;
	}
	/* FNV's low bits mix poorly; fold the high ones in for the index. */
	return h ^ (h >> 29);
}

static int
strset_init(struct strset *set, size_t max)
{
	size_t	 cap = 16;

	memset(set, 0, sizeof(*set));
	while (cap < max * 2)
		cap *= 2;
	if ((set->slot = clr_calloc(cap, sizeof(*set->slot))) == NULL)
		return CLR_ENOMEM;
	set->mask = cap - 1;
	set->max = max;
	set->size = max * 32 + 64;
	if ((set->arena = clr_malloc(set->size)) == NULL) {
		strset_free(set);
		return CLR_ENOMEM;
	}
	return 0;
}

/*
 * strset_add - add s[0..n) unless present. Returns 1 if added, 0 if it
 * was there, CLR_ENOMEM, or CLR_ETOOBIG past the size it was made for.
 */
static int
strset_add(struct strset *set, const char *s, size_t n)
{
	uint64_t	 h = hash_str(s, n), v, tag = h >> 32;
	size_t		 i = (size_t)h & set->mask, off, size;
	char		*p;

	for (;; i = (i + 1) & set->mask) {
		v = set->slot[i];
		if (v == 0)
			break;
		if (v >> 32 != tag)
			continue;
		off = (size_t)(v & 0xFFFFFFFFu) - 1;
		if (memcmp(set->arena + off, s, n) == 0 &&
		    set->arena[off + n] == '\0')
			return 0;
	}
	if (set->count >= set->max || set->used + n + 1 >= UINT32_MAX)
		return CLR_ETOOBIG;
	if (set->used + n + 1 > set->size) {
		size = set->size;
		while (size < set->used + n + 1)
			size *= 2;
		if (size > UINT32_MAX)
			size = UINT32_MAX;
		if ((p = clr_realloc(set->arena, size)) == NULL)
			return CLR_ENOMEM;
		set->arena = p;
		set->size = size;
	}
	memcpy(set->arena + set->used, s, n);
	set->arena[set->used + n] = '\0';
	set->slot[i] = tag << 32 | (uint64_t)(set->used + 1);
	set->used += n + 1;
	set->count++;
	return 1;
}

static void
strset_free(struct strset *set)
{
	clr_free(set->slot);
	clr_free(set->arena);
	memset(set, 0, sizeof(*set));
}

/* gen_init - seed the stream, size the address set, build the pools. */
static int
gen_init(struct gen *g, uint64_t seed, size_t contacts)
{
	size_t	 norg = 0;
	int	 i, rc;

	memset(g, 0, sizeof(*g));
	rng_seed(&g->rng, seed);
	g->join_first = days_from_civil(JOIN_FIRST_Y, 1, 1);
	g->join_days = days_from_civil(JOIN_LAST_Y, JOIN_LAST_M,
	    JOIN_LAST_D) - g->join_first + 1;
	for (i = 0; i < POOL_LAST; i++)
		norg += pool_defs[i].want;
	if ((rc = strset_init(&g->emails, contacts)) != 0)
		return rc;
	if ((rc = strset_init(&g->orgs, norg)) != 0)
		return rc;
	if ((g->org = clr_calloc(norg, sizeof(*g->org))) == NULL)
		return CLR_ENOMEM;
	return gen_pools(g);
}

/* pool_names - how many surnames a pool's domains are made from. */
static size_t
pool_names(const struct pool_def *pd)
{
	size_t		 n = 0;
	unsigned	 lg;

	for (lg = 0; lg < LN_LAST; lg++)
		if (pd->names & (1u << lg))
			n += last_names[lg].n;
	return n;
}

/*
 * gen_pools - draw each pool's generated domains: every (affix, surname)
 * pair is a candidate, and a partial Fisher-Yates shuffle takes "want" of
 * them at random. Surnames that fold alike (De Smet, Desmet) or appear in
 * two lists give the same domain; the set keeps one, so a pool may end up
 * a little short of "want".
 */
static int
gen_pools(struct gen *g)
{
	const struct pool_def	*pd;
	uint32_t		*idx;
	size_t			 nnames, ncand, i, j, k, n = 0, maxcand = 0;
	uint32_t		 t;
	unsigned		 lg;
	int			 p, r, w, rc = 0;
	char			 folded[NAME_LEN];
	const char		*name;

	for (p = 0; p < POOL_LAST; p++) {
		pd = &pool_defs[p];
		ncand = pool_names(pd) * pd->naffix;
		if (ncand > maxcand)
			maxcand = ncand;
	}
	if ((idx = clr_calloc(maxcand, sizeof(*idx))) == NULL)
		return CLR_ENOMEM;
	for (p = 0; p < POOL_LAST; p++) {
		pd = &pool_defs[p];
		g->pool_off[p] = n;
		nnames = pool_names(pd);
		ncand = nnames * pd->naffix;
		for (i = 0; i < ncand; i++)
			idx[i] = (uint32_t)i;
		for (i = 0; i < pd->want && i < ncand; i++) {
			j = i + rng_below(&g->rng, (uint32_t)(ncand - i));
			t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;

			/* Candidate c is affix c / nnames, name c % nnames. */
			k = idx[i] % nnames;
			name = NULL;
			for (lg = 0; lg < LN_LAST && name == NULL; lg++) {
				if (!(pd->names & (1u << lg)))
					continue;
				if (k < last_names[lg].n)
					name = last_names[lg].v[k];
				else
					k -= last_names[lg].n;
			}
			if (name == NULL)
				continue;
			fold(name, folded, sizeof(folded));
			if (folded[0] == '\0')
				continue;
			w = snprintf(g->org[n], ORG_LEN, "%s%s%s",
			    pd->affix[idx[i] / nnames].pre, folded,
			    pd->affix[idx[i] / nnames].post);
			if (w < 0 || w >= ORG_LEN)
				continue;
			if ((r = strset_add(&g->orgs, g->org[n],
			    (size_t)w)) < 0) {
				rc = r;
				goto out;
			}
			if (r == 1)
				n++;
		}
		g->pool_len[p] = n - g->pool_off[p];
	}
out:
	clr_free(idx);
	return rc;
}

static void
gen_free(struct gen *g)
{
	strset_free(&g->emails);
	strset_free(&g->orgs);
	clr_free(g->org);
	memset(g, 0, sizeof(*g));
}

/* pick_name - a group by the mix, then a name of that group. */
static const char *
pick_name(struct rng *r, const struct name_list *lists, const unsigned *mix,
    size_t ngroups)
{
	const struct name_list	*l = &lists[rng_pick(r, mix, ngroups)];

	return l->v[rng_skewed(r, l->n)];
}

static const struct city *
pick_city(struct rng *r, const struct region_def *reg)
{
	uint32_t	 total = 0, x;
	size_t		 i;

	for (i = 0; i < reg->n; i++)
		total += reg->cities[i].w;
	x = rng_below(r, total);
	for (i = 0; i < reg->n - 1; i++) {
		if (x < reg->cities[i].w)
			break;
		x -= reg->cities[i].w;
	}
	return &reg->cities[i];
}

/* pick_domain - a provider, or an organisation of the group's pool. */
static const char *
pick_domain(struct gen *g, enum mail_group mg)
{
	const struct pool_def	*pd;
	uint32_t		 total = 0, x;
	size_t			 i, n = nitems(mail_domains);
	enum pool_id		 p;

	for (i = 0; i < n; i++)
		total += mail_domains[i].w[mg];
	x = rng_below(&g->rng, total);
	for (i = 0; i < n - 1; i++) {
		if (x < mail_domains[i].w[mg])
			break;
		x -= mail_domains[i].w[mg];
	}
	if (mail_domains[i].name != NULL)
		return mail_domains[i].name;
	p = group_pool[mg];
	pd = &pool_defs[p];
	if (g->pool_len[p] == 0 || rng_below(&g->rng, 100) < ORG_REAL_PCT)
		return pd->real[rng_below(&g->rng, (uint32_t)pd->nreal)];
	return g->org[g->pool_off[p] +
	    rng_below(&g->rng, (uint32_t)g->pool_len[p])];
}

/*
 * upcase_domain - the domain as some people type it: "Gmail.com",
 * "GMAIL.COM" or "skynet.BE". ASCII domains only.
 */
static void
upcase_domain(struct rng *r, const char *d, char *out, size_t outsz)
{
	const char	*tld = strrchr(d, '.');
	uint32_t	 how = rng_below(r, 100);
	size_t		 i;

	for (i = 0; d[i] != '\0' && i + 1 < outsz; i++) {
		int	 up;

		if (how < 60)
			up = i == 0;
		else if (how < 85)
			up = 1;
		else
			up = tld != NULL && d + i > tld;
		out[i] = d[i];
		if (up && d[i] >= 'a' && d[i] <= 'z')
			out[i] = (char)(d[i] - 'a' + 'A');
	}
	out[i] = '\0';
}

/*
 * make_local - a local part from the folded first and last names, in one
 * of the usual patterns. Returns 0, or CLR_ETOOBIG if it does not fit.
 */
static int
make_local(struct rng *r, const char *f, const char *l, char *out,
    size_t outsz)
{
	unsigned	 year;
	int		 n;

	/* Birth years 1945..2006, most around 1975. */
	year = 1945 + rng_below(r, 31) + rng_below(r, 32);
	switch (rng_pick(r, local_weights, LP_LAST)) {
	case LP_FIRST_DOT_LAST:
		n = snprintf(out, outsz, "%s.%s", f, l);
		break;
	case LP_INITIAL_LAST:
		n = snprintf(out, outsz, "%c%s", f[0], l);
		break;
	case LP_INITIAL_DOT_LAST:
		n = snprintf(out, outsz, "%c.%s", f[0], l);
		break;
	case LP_FIRST_UNDER_LAST:
		n = snprintf(out, outsz, "%s_%s", f, l);
		break;
	case LP_FIRST_DOT_LAST_YY:
		n = snprintf(out, outsz, "%s.%s%02u", f, l, year % 100);
		break;
	case LP_FIRSTLAST_NUM:
		n = snprintf(out, outsz, "%s%s%u", f, l,
		    1 + rng_below(r, 999));
		break;
	case LP_FIRSTLAST:
		n = snprintf(out, outsz, "%s%s", f, l);
		break;
	case LP_FIRST_INITIAL:
		n = snprintf(out, outsz, "%s%c", f, l[0]);
		break;
	case LP_LAST_DOT_FIRST:
		n = snprintf(out, outsz, "%s.%s", l, f);
		break;
	case LP_FIRST_DASH_LAST:
		n = snprintf(out, outsz, "%s-%s", f, l);
		break;
	default:
		n = snprintf(out, outsz, "%s%u", f, year);
		break;
	}
	return n < 0 || (size_t)n >= outsz ? CLR_ETOOBIG : 0;
}

/*
 * make_email - local@domain, unique once lower-cased: on a collision, a
 * number goes after the local part, two digits at first, then more, then
 * a counter that is bound to find a free one.
 */
static int
make_email(struct gen *g, const char *local, const char *domain, char *out,
    size_t outsz)
{
	char		 key[EMAIL_LEN];
	unsigned long	 num = 0, seq = 10000;
	unsigned	 attempt;
	size_t		 i, len;
	int		 n, rc;

	for (attempt = 0;; attempt++) {
		if (attempt == 0)
			n = snprintf(out, outsz, "%s@%s", local, domain);
		else {
			if (attempt < 4)
				num = 2 + rng_below(&g->rng, 98);
			else if (attempt < 8)
				num = 100 + rng_below(&g->rng, 900);
			else if (attempt < 12)
				num = 1000 + rng_below(&g->rng, 9000);
			else
				num = seq++;
			n = snprintf(out, outsz, "%s%lu@%s", local, num,
			    domain);
		}
		if (n < 0 || (size_t)n >= outsz || (size_t)n >= sizeof(key))
			return CLR_ETOOBIG;
		len = (size_t)n;
		for (i = 0; i < len; i++)
			key[i] = (char)str_ascii_lower((unsigned char)out[i]);
		if ((rc = strset_add(&g->emails, key, len)) != 0)
			return rc < 0 ? rc : 0;
	}
}

/* days_from_civil - days since 1970-01-01 (H. Hinnant's algorithm). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* civil_from_days - the inverse of days_from_civil. */
static void
civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

/*
 * gen_contact - draw the next contact. The order of the draws is part of
 * the output: keep it when editing.
 */
static int
gen_contact(struct gen *g, struct contact *c)
{
	struct rng		*r = &g->rng;
	enum locale_id		 loc;
	enum region		 reg;
	enum mail_group		 mg;
	const char		*first, *last, *domain;
	char			 ffold[NAME_LEN], lfold[NAME_LEN];
	char			 local[LOCAL_LEN], updom[ORG_LEN];
	long			 day, other, y;
	unsigned		 m, d, member;
	int			 rc;

	loc = (enum locale_id)rng_pick(r, locale_weights, LOC_LAST);
	first = pick_name(r, first_names, first_mix[loc], FN_LAST);
	last = pick_name(r, last_names, last_mix[loc], LN_LAST);
	reg = (enum region)rng_pick(r, region_mix[loc], REG_LAST);
	c->locale = locale_tags[loc];
	c->country = regions[reg].country;
	c->city = pick_city(r, &regions[reg]);
	if (rng_below(r, 100) < NO_CITY_PCT)
		c->city = NULL;

	/* The address keeps the name even when the form left it out. */
	fold(first, ffold, sizeof(ffold));
	fold(last, lfold, sizeof(lfold));
	if (ffold[0] == '\0')
		memcpy(ffold, "contact", sizeof("contact"));
	if (lfold[0] == '\0')
		memcpy(lfold, "x", sizeof("x"));
	if ((rc = make_local(r, ffold, lfold, local, sizeof(local))) != 0)
		return rc;
	if (loc == LOC_EN)
		mg = MG_INTL;
	else if (reg == REG_FR)
		mg = MG_FR;
	else if (reg == REG_NL)
		mg = MG_NL;
	else if (reg == REG_LU)
		mg = MG_LU;
	else if (reg == REG_VLA || reg == REG_BRU_NL)
		mg = MG_BENL;
	else
		mg = MG_BEFR;
	if (rng_below(r, 1000000) < IDN_PPM)
		domain = idn_domains[rng_below(r,
		    (uint32_t)nitems(idn_domains))];
	else {
		domain = pick_domain(g, mg);
		if (rng_below(r, 1000000) < UPPER_PPM) {
			upcase_domain(r, domain, updom, sizeof(updom));
			domain = updom;
		}
	}
	if ((rc = make_email(g, local, domain, c->email,
	    sizeof(c->email))) != 0)
		return rc;

	c->st = (enum status_id)rng_pick(r, status_weights, ST_LAST);
	c->status = status_names[c->st];

	/* Joined: 60% uniform, 40% leaning to recent years (growth). */
	day = rng_below(r, (uint32_t)g->join_days);
	if (rng_below(r, 100) < 40) {
		other = rng_below(r, (uint32_t)g->join_days);
		if (other > day)
			day = other;
	}
	civil_from_days(g->join_first + day, &y, &m, &d);
	/* The moduli are no-ops that show the compiler the widths. */
	snprintf(c->joined, sizeof(c->joined), "%04u-%02u-%02u",
	    (unsigned)y % 10000, m % 100, d % 100);

	c->first = rng_below(r, 1000) < NO_FIRST_PERMIL ? "" : first;
	c->last = rng_below(r, 1000) < NO_LAST_PERMIL ? "" : last;

	member = rng_below(r, MEMBER_SCALE);
	c->activist = member < MEMBER_ACT;
	c->newsletter = member < MEMBER_BOTH || (member >= MEMBER_ACT &&
	    member < MEMBER_ACT + MEMBER_NEWS - MEMBER_BOTH);
	c->petition = petitions[rng_skewed(r, nitems(petitions))];
	c->format = rng_below(r, 100) < TEXT_PCT ? "text" : "html";
	return 0;
}

static void
row_put(struct row *r, const char *s, size_t n)
{
	if (r->len + n > sizeof(r->b)) {
		r->overflow = 1;
		return;
	}
	memcpy(r->b + r->len, s, n);
	r->len += n;
}

/* row_field - append s as an RFC 4180 field, then end ('\n' or ','). */
static void
row_field(struct row *r, const char *s, char end)
{
	const char	*p;

	if (strpbrk(s, ",\"\r\n") == NULL)
		row_put(r, s, strlen(s));
	else {
		row_put(r, "\"", 1);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				row_put(r, "\"\"", 2);
			else
				row_put(r, p, 1);
		}
		row_put(r, "\"", 1);
	}
	row_put(r, &end, 1);
}

/* errno_code - the CLR_E* code of a file error. */
static int
errno_code(int e)
{
	switch (e) {
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
		return CLR_EFULL;
	case EACCES:
	case EPERM:
#ifdef EROFS
	case EROFS:
#endif
		return CLR_EPERM;
	case ENOENT:
	case ENOTDIR:
		return CLR_ENOENT;
	case ENOMEM:
		return CLR_ENOMEM;
	default:
		return CLR_EIO;
	}
}

/* out_open - create dir/name.tmp with a large stdio buffer. */
static int
out_open(struct out *o, const char *dir, const char *name,
    struct clr_err *err)
{
	size_t	 dlen = strlen(dir);
	int	 n;

	o->name = name;
	n = snprintf(o->path, sizeof(o->path), "%s%s%s", dir,
	    dlen > 0 && dir[dlen - 1] == '/' ? "" : "/", name);
	if (n < 0 || (size_t)n + sizeof(".tmp") > sizeof(o->path))
		return clr_err_set(err, CLR_EINVAL, "%s: the output folder "
		    "path is too long", dir);
	memcpy(o->tmp, o->path, (size_t)n);
	memcpy(o->tmp + n, ".tmp", sizeof(".tmp"));
	if ((o->iobuf = clr_malloc(IOBUF_LEN)) == NULL)
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	errno = 0;
	if ((o->fp = fopen(o->tmp, "w")) == NULL)
		return clr_err_set(err, errno_code(errno), "%s: %s", o->tmp,
		    strerror(errno));
	o->created = 1;
	if (setvbuf(o->fp, o->iobuf, _IOFBF, IOBUF_LEN) != 0)
		return clr_err_set(err, CLR_EIO, "%s: cannot set a buffer",
		    o->tmp);
	return 0;
}

static int
out_write(struct out *o, const char *s, size_t n, struct clr_err *err)
{
	int	 e;

	errno = 0;
	if (fwrite(s, 1, n, o->fp) != n) {
		e = errno != 0 ? errno : EIO;
		return clr_err_set(err, errno_code(e), "%s: %s", o->tmp,
		    strerror(e));
	}
	return 0;
}

static int
out_row(struct out *o, const struct row *r, struct clr_err *err)
{
	if (r->overflow)
		return clr_err_set(err, CLR_ETOOBIG, "%s: a row is longer "
		    "than %d bytes", o->name, ROW_LEN);
	return out_write(o, r->b, r->len, err);
}

/* out_close - flush and close; the buffer goes too. */
static int
out_close(struct out *o, struct clr_err *err)
{
	FILE	*fp = o->fp;
	int	 failed, e;

	o->fp = NULL;
	errno = 0;
	failed = fflush(fp) != 0 || ferror(fp);
	e = errno;
	if (fclose(fp) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	clr_free(o->iobuf);
	o->iobuf = NULL;
	if (failed) {
		if (e == 0)
			e = EIO;
		return clr_err_set(err, errno_code(e), "%s: %s", o->tmp,
		    strerror(e));
	}
	return 0;
}

/* out_discard - after a failure: close if open, remove the .tmp file. */
static void
out_discard(struct out *o)
{
	if (o->fp != NULL) {
		fclose(o->fp);
		o->fp = NULL;
	}
	clr_free(o->iobuf);
	o->iobuf = NULL;
	if (o->created)
		remove(o->tmp);
	o->created = 0;
}

int
demo_data_write(const struct demo_data_options *opt,
    struct demo_data_counts *counts, struct clr_err *err)
{
	struct demo_data_counts	 cnt;
	struct out		 out[OUT_LAST];
	struct gen		 g;
	struct contact		 c;
	struct row		 row;
	unsigned		 ncontacts, i;
	int			 k, rc = 0, e;

	memset(&cnt, 0, sizeof(cnt));
	memset(out, 0, sizeof(out));
	memset(&g, 0, sizeof(g));
	if (counts != NULL)
		memset(counts, 0, sizeof(*counts));
	if (opt == NULL || opt->dir == NULL || opt->dir[0] == '\0')
		return clr_err_set(err, CLR_EINVAL, "no output folder given");
	ncontacts = opt->contacts != 0 ? opt->contacts :
	    DEMO_DATA_CONTACTS_DEFAULT;
	if (ncontacts > DEMO_DATA_CONTACTS_MAX)
		return clr_err_set(err, CLR_EINVAL, "%u contacts is more than "
		    "the %d allowed", ncontacts, DEMO_DATA_CONTACTS_MAX);

	if ((rc = gen_init(&g, opt->seed, ncontacts)) != 0) {
		rc = clr_err_set(err, rc, "preparing the demo data: %s",
		    clr_strerror(rc));
		goto out;
	}
	for (k = 0; k < OUT_LAST; k++) {
		if ((rc = out_open(&out[k], opt->dir, out_names[k], err)) != 0)
			goto out;
		if ((rc = out_write(&out[k], out_headers[k],
		    strlen(out_headers[k]), err)) != 0)
			goto out;
	}

	for (i = 0; i < ncontacts; i++) {
		if ((rc = gen_contact(&g, &c)) != 0) {
			rc = clr_err_set(err, rc, "contact %u: %s", i + 1,
			    clr_strerror(rc));
			goto out;
		}
		row.len = 0;
		row.overflow = 0;
		row_field(&row, c.email, ',');
		row_field(&row, c.first, ',');
		row_field(&row, c.last, ',');
		row_field(&row, c.locale, ',');
		row_field(&row, c.status, ',');
		row_field(&row, c.city != NULL ? c.city->name : "", ',');
		row_field(&row, c.city != NULL ? c.city->postcode : "", ',');
		row_field(&row, c.country, ',');
		row_field(&row, c.joined, '\n');
		if ((rc = out_row(&out[OUT_CONTACTS], &row, err)) != 0)
			goto out;
		cnt.contacts++;
		if (c.st == ST_UNSUBSCRIBED)
			cnt.unsubscribed++;
		else if (c.st == ST_BOUNCED)
			cnt.bounced++;
		else if (c.st == ST_COMPLAINED)
			cnt.complained++;

		if (c.activist) {
			row.len = 0;
			row_field(&row, c.email, ',');
			row_field(&row, c.petition, '\n');
			if ((rc = out_row(&out[OUT_ACTIVISTS], &row, err)) != 0)
				goto out;
			cnt.activists++;
		}
		if (c.newsletter) {
			row.len = 0;
			row_field(&row, c.email, ',');
			row_field(&row, c.first, ',');
			row_field(&row, c.format, '\n');
			if ((rc = out_row(&out[OUT_NEWSLETTER], &row,
			    err)) != 0)
				goto out;
			cnt.newsletter++;
		}
		if (c.activist && c.newsletter)
			cnt.both++;
	}

	for (k = 0; k < OUT_LAST; k++)
		if ((rc = out_close(&out[k], err)) != 0)
			goto out;
	for (k = 0; k < OUT_LAST; k++) {
		if (rename(out[k].tmp, out[k].path) != 0) {
			e = errno;
			rc = clr_err_set(err, errno_code(e), "%s: %s",
			    out[k].path, strerror(e));
			goto out;
		}
		out[k].created = 0;	/* nothing left to remove */
	}
	if (counts != NULL)
		*counts = cnt;
out:
	if (rc != 0)
		for (k = 0; k < OUT_LAST; k++)
			out_discard(&out[k]);
	gen_free(&g);
	return rc;
}
