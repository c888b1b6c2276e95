"""Seed the twelve TCGs of the contract; on PostgreSQL add pg_trgm and trigram GIN indexes."""

from django.db import migrations

TCGS = [
    ("pokemon", "Pokémon TCG", "The Pokémon Company", "https://www.pokemon.com/tcg",
     "The Pokémon Trading Card Game, since 1996."),
    ("mtg", "Magic: The Gathering", "Wizards of the Coast", "https://magic.wizards.com",
     "The first modern trading card game, since 1993."),
    ("yugioh", "Yu-Gi-Oh!", "Konami", "https://www.yugioh-card.com",
     "Konami's duel monsters card game, since 1999."),
    ("onepiece", "One Piece Card Game", "Bandai", "https://en.onepiece-cardgame.com",
     "Bandai's card game of the One Piece manga and anime, since 2022."),
    ("lorcana", "Disney Lorcana", "Ravensburger", "https://www.disneylorcana.com",
     "Ravensburger's Disney trading card game, since 2023."),
    ("fab", "Flesh and Blood", "Legend Story Studios", "https://fabtcg.com",
     "Legend Story Studios' hero-based card game, since 2019."),
    ("digimon", "Digimon Card Game", "Bandai", "https://world.digimoncard.com",
     "Bandai's Digimon card game, since 2020."),
    ("starwars", "Star Wars Unlimited", "Fantasy Flight Games", "https://starwarsunlimited.com",
     "Fantasy Flight Games' Star Wars card game, since 2024."),
    ("grandarc", "Grand Archive", "Weebs of the Shore", "https://www.gatcg.com",
     "An anime-styled trading card game, since 2023."),
    ("dragonball", "Dragon Ball Super Card Game", "Bandai", "https://www.dbs-cardgame.com",
     "Bandai's Dragon Ball Super card game, since 2017."),
    ("riftbound", "Riftbound", "Riot Games", "https://riftbound.leagueoflegends.com",
     "Riot Games' League of Legends trading card game, since 2025."),
    ("keyforge", "KeyForge", "Ghost Galaxy", "https://www.keyforgegame.com",
     "A unique deck game: every deck is one of a kind, since 2018."),
]

TRIGRAM_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS catalogue_card_name_trgm ON catalogue_card "
    "USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS catalogue_cardset_name_trgm ON catalogue_cardset "
    "USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS catalogue_card_upper_name ON catalogue_card "
    "(UPPER(name) varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS catalogue_card_upper_number ON catalogue_card (UPPER(number))",
]
TRIGRAM_DROP = [
    "DROP INDEX IF EXISTS catalogue_card_upper_number",
    "DROP INDEX IF EXISTS catalogue_card_upper_name",
    "DROP INDEX IF EXISTS catalogue_cardset_name_trgm",
    "DROP INDEX IF EXISTS catalogue_card_name_trgm",
]


def seed_tcgs(apps, schema_editor):
    TCG = apps.get_model("catalogue", "TCG")
    for order, (slug, name, publisher, website, description) in enumerate(TCGS):
        TCG.objects.update_or_create(slug=slug, defaults={
            "name": name, "publisher": publisher, "website_url": website,
            "description": description, "sort_order": order})


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite searches without trigram indexes (see catalogue.selectors)
        for sql in statements:
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.RunPython(seed_tcgs, migrations.RunPython.noop),
        migrations.RunPython(_run(TRIGRAM_SQL), _run(TRIGRAM_DROP)),
    ]
