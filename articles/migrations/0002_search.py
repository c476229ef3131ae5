"""Full-text search on PostgreSQL: configurations, the article vector, its trigger and index.

Nothing but the (unused) column happens on other databases.
"""

import django.contrib.postgres.search
from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$
DECLARE
    spec text[];
BEGIN
    FOREACH spec SLICE 1 IN ARRAY ARRAY[
        ['newsarchive_fr', 'french', 'french_stem'],
        ['newsarchive_en', 'english', 'english_stem'],
        ['newsarchive_simple', 'simple', 'simple']
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = spec[1]) THEN
            EXECUTE format('CREATE TEXT SEARCH CONFIGURATION %I (COPY = %I)', spec[1], spec[2]);
            EXECUTE format(
                'ALTER TEXT SEARCH CONFIGURATION %I ALTER MAPPING FOR hword, hword_part, word '
                'WITH unaccent, %I', spec[1], spec[3]);
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION newsarchive_search_config(language text) RETURNS regconfig AS $$
    SELECT CASE language
        WHEN 'fr' THEN 'newsarchive_fr'
        WHEN 'en' THEN 'newsarchive_en'
        ELSE 'newsarchive_simple'
    END::regconfig
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION newsarchive_article_vector(language text, title text, body text)
RETURNS tsvector AS $$
    SELECT setweight(to_tsvector(newsarchive_search_config(language), coalesce(title, '')), 'A')
        || setweight(to_tsvector(newsarchive_search_config(language), coalesce(body, '')), 'B')
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION newsarchive_article_search_trigger() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := newsarchive_article_vector(NEW.language, NEW.title, NEW.body);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS article_search_vector ON articles_article;
CREATE TRIGGER article_search_vector
    BEFORE INSERT OR UPDATE OF title, body, language, search_vector ON articles_article
    FOR EACH ROW EXECUTE FUNCTION newsarchive_article_search_trigger();

UPDATE articles_article SET search_vector = newsarchive_article_vector(language, title, body);
CREATE INDEX IF NOT EXISTS article_search_vector_gin ON articles_article USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS article_search_vector_gin;
DROP TRIGGER IF EXISTS article_search_vector ON articles_article;
DROP FUNCTION IF EXISTS newsarchive_article_search_trigger();
DROP FUNCTION IF EXISTS newsarchive_article_vector(text, text, text);
DROP FUNCTION IF EXISTS newsarchive_search_config(text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS newsarchive_fr;
DROP TEXT SEARCH CONFIGURATION IF EXISTS newsarchive_en;
DROP TEXT SEARCH CONFIGURATION IF EXISTS newsarchive_simple;
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # Without parameters, so that the '%' of format() reaches PostgreSQL as it is.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD)),
    ]
