/* Unit tests: namesplit (DESIGN.md name split rules), table-driven. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/namesplit.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *first, *middle, *last;
	int words;
	int review;
} cases[] = {
	{ "Olivia Bennett", "Olivia", NULL, "Bennett", 2, 0 },
	{ "Olivia Rose Bennett", "Olivia", "Rose", "Bennett", 3, 1 },
	{ "Olivia Rose van der Berg", "Olivia", "Rose", "van der Berg", 5, 1 },
	{ "Ludwig van Beethoven", "Ludwig", NULL, "van Beethoven", 3, 1 },
	{ "Johannes Diderik van der Waals", "Johannes", "Diderik", "van der Waals", 5, 1 },
	{ "Maria de la Cruz", "Maria", NULL, "de la Cruz", 4, 1 },
	{ "María José de la Cruz", "María", "José", "de la Cruz", 5, 1 },
	{ "Ahmad bin Ali", "Ahmad", NULL, "bin Ali", 3, 1 },
	{ "Siti binti Abdullah", "Siti", NULL, "binti Abdullah", 3, 1 },
	{ "Siobhán Ní Bhriain", "Siobhán", NULL, "Ní Bhriain", 3, 1 },
	{ "SIOBHÁN NÍ BHRIAIN", "SIOBHÁN", NULL, "NÍ BHRIAIN", 3, 1 },
	{ "Seán Ó Súilleabháin", "Seán", NULL, "Ó Súilleabháin", 3, 1 },
	{ "Aoife Nic Dhonncha", "Aoife", NULL, "Nic Dhonncha", 3, 1 },
	{ "Omar ibn al Khattab", "Omar", NULL, "ibn al Khattab", 4, 1 },
	{ "Leonardo DA VINCI", "Leonardo", NULL, "DA VINCI", 3, 1 },
	{ "Van Morrison", "Van", NULL, "Morrison", 2, 0 },
	{ "De La Soul", "De", NULL, "La Soul", 3, 1 },
	{ "Anne-Marie O'Neil", "Anne-Marie", NULL, "O'Neil", 2, 0 },
	{ "Jean-Luc Picard-Smith", "Jean-Luc", NULL, "Picard-Smith", 2, 0 },
	{ "Zoë Ångström", "Zoë", NULL, "Ångström", 2, 0 },
	{ "Łukasz Żółć", "Łukasz", NULL, "Żółć", 2, 0 },
	{ "李 小龍", "李", NULL, "小龍", 2, 0 },
	{ "Dana Vandersloot", "Dana", NULL, "Vandersloot", 2, 0 },
	{ "Ana Maria Delgado", "Ana", "Maria", "Delgado", 3, 1 },
	{ "Cher", "Cher", NULL, NULL, 1, 0 },
	{ "  Cher  ", "Cher", NULL, NULL, 1, 0 },
	{ "van", "van", NULL, NULL, 1, 0 },
	{ "", NULL, NULL, NULL, 0, 0 },
	{ " \t \n ", NULL, NULL, NULL, 0, 0 },
	{ "  Olivia \t  Bennett ", "Olivia", NULL, "Bennett", 2, 0 },
	{ "Olivia\xc2\xa0"
	  "Bennett",
	  "Olivia", NULL, "Bennett", 2, 0 }, /* NBSP */
	{ "Olivia\xe2\x80\xaf"
	  "Bennett",
	  "Olivia", NULL, "Bennett", 2, 0 }, /* narrow NBSP */
	{ "Olivia\xe3\x80\x80"
	  "Bennett",
	  "Olivia", NULL, "Bennett", 2, 0 }, /* ideographic space */
	{ "Olivia\r\nRose\tBennett", "Olivia", "Rose", "Bennett", 3, 1 },
	{ "A \xff\xfe B", "A", "\xff\xfe", "B", 3, 1 }, /* invalid UTF-8 kept */
	{ "Kim Dae-jung", "Kim", NULL, "Dae-jung", 2, 0 },
	{ "Vincent van Gogh", "Vincent", NULL, "van Gogh", 3, 1 },
	{ "Ursula von der Leyen", "Ursula", NULL, "von der Leyen", 4, 1 },
	{ "Manuel dos Santos", "Manuel", NULL, "dos Santos", 3, 1 },
	{ "Jan ter Horst", "Jan", NULL, "ter Horst", 3, 1 },
	{ "Piet ten Boom", "Piet", NULL, "ten Boom", 3, 1 },
	{ "Gabriel del Toro", "Gabriel", NULL, "del Toro", 3, 1 },
	{ "Ada della Rocca", "Ada", NULL, "della Rocca", 3, 1 },
	{ "Jean du Pont", "Jean", NULL, "du Pont", 3, 1 },
	{ "Marie le Pen", "Marie", NULL, "le Pen", 3, 1 },
	{ "Ahmed el Sayed", "Ahmed", NULL, "el Sayed", 3, 1 },
	{ "Pierre des Champs", "Pierre", NULL, "des Champs", 3, 1 },
	{ "Hans den Haag", "Hans", NULL, "den Haag", 3, 1 },
	{ "Rita das Neves", "Rita", NULL, "das Neves", 3, 1 },
	{ "Dante di Rossi", "Dante", NULL, "di Rossi", 3, 1 },
	{ "Karl Otto von", "Karl", "Otto", "von", 3, 1 },
};

/* The name with control characters shown as '?', so a TAP line stays one line. */
static const char *shown(const char *name)
{
	static char out[128];
	size_t i;

	for (i = 0; name[i] && i < sizeof(out) - 1; i++)
		out[i] = (unsigned char)name[i] < ' ' ? '?' : name[i];
	out[i] = '\0';
	return out;
}

static void test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct name_split s = NAME_SPLIT_INIT;
		char label[256];

		name_split(&s, cases[i].name);
		snprintf(label, sizeof(label), "'%s': first", shown(cases[i].name));
		is_str(s.first, cases[i].first, label);
		snprintf(label, sizeof(label), "'%s': middle", shown(cases[i].name));
		is_str(s.middle, cases[i].middle, label);
		snprintf(label, sizeof(label), "'%s': last", shown(cases[i].name));
		is_str(s.last, cases[i].last, label);
		snprintf(label, sizeof(label), "'%s': %d words, review %d", shown(cases[i].name),
			 cases[i].words, cases[i].review);
		ok((int)s.words == cases[i].words && (int)s.review == cases[i].review, "%s", label);
		name_split_release(&s);
	}
}

static void test_null_and_long(void)
{
	struct name_split s = NAME_SPLIT_INIT;
	struct buf b = BUF_INIT, mid = BUF_INIT;
	int i;

	name_split(&s, NULL);
	ok(!s.first && !s.middle && !s.last && s.words == 0 && !s.review, "NULL is an empty name");
	name_split_release(&s);

	/* 200 words: w0 first, w1..w197 middle, "van" + w199 last. */
	for (i = 0; i < 200; i++) {
		if (i)
			buf_adds(&b, i % 7 ? " " : " \t ");
		if (i == 198)
			buf_adds(&b, "van");
		else
			buf_addf(&b, "w%d", i);
		if (i >= 1 && i <= 197)
			buf_addf(&mid, "%sw%d", i > 1 ? " " : "", i);
	}
	name_split(&s, b.data);
	is_str(s.first, "w0", "200 words: first");
	is_str(s.middle, mid.data, "200 words: middle holds the 197 words between");
	is_str(s.last, "van w199", "200 words: particle stays with the last name");
	is_int((long long)s.words, 200, "200 words counted");
	ok(s.review, "200 words flagged for review");
	name_split_release(&s);
	buf_release(&b);
	buf_release(&mid);
}

static void test_particles_and_normalise(void)
{
	char *n;

	ok(name_is_particle("VAN") && name_is_particle("Van") && name_is_particle("van"),
	   "particles ignore ASCII case");
	ok(name_is_particle("N\xc3\x8d") && name_is_particle("n\xc3\xad"), "ní/NÍ are particles");
	ok(name_is_particle("\xc3\x93") && name_is_particle("\xc3\xb3"), "ó/Ó are particles");
	ok(!name_is_particle("vanderberg") && !name_is_particle("o") && !name_is_particle("ni"),
	   "words that merely start like a particle, or lack the accent, are not particles");
	n = name_normalise("\xc2\xa0 a \t\tb\xe2\x80\x83 c ");
	is_str(n, "a b c", "normalise trims and collapses Unicode and ASCII space");
	free(n);
}

int main(void)
{
	test_table();
	test_null_and_long();
	test_particles_and_normalise();
	return tap_done();
}
