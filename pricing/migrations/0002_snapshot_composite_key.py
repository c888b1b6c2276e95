"""Snapshots keyed by (price, date), without a surrogate id or a database foreign key, and
room on price pages for in-place updates.

The snapshot table grows by one row per price per day (about two million a day at scale):
the (price_id, date) key was already unique and serves every lookup, so the surrogate id
column and its index were pure write and storage cost. The foreign key to the price is kept
in Django (cascading deletes through the ORM) but not checked by the database: snapshots are
written only for the ids the same statement has just upserted and locked
(pricing.ingest), and the per-row deferred check was a third of a bulk upsert's commit.
Price pages get fillfactor 50 so that a refresh, which rewrites every row once per
transaction, updates each row in place (HOT) instead of writing index entries.

Django cannot turn a single-column primary key into a composite one by itself, so the
schema change is spelled out per database; the model state follows Django's own operations.
Irreversible.
"""

import django.db.models.deletion
from django.db import migrations, models


def _rekey(apps, schema_editor):  # noqa: ANN001, ANN202
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            foreign_keys = [
                name for name, info in connection.introspection.get_constraints(
                    cursor, "pricing_pricesnapshot").items()
                if info["foreign_key"] and info["columns"] == ["price_id"]]
        for name in foreign_keys:
            schema_editor.execute(
                f'ALTER TABLE pricing_pricesnapshot DROP CONSTRAINT "{name}"')
        schema_editor.execute(
            "ALTER TABLE pricing_pricesnapshot DROP CONSTRAINT pricing_snapshot_day,"
            " DROP COLUMN id,"
            " ADD CONSTRAINT pricing_pricesnapshot_pkey PRIMARY KEY (price_id, date)")
        schema_editor.execute("ALTER TABLE pricing_price SET (fillfactor = 50)")
        return
    # SQLite (and any other backend): rebuild the table from the new model state.
    snapshot = apps.get_model("pricing", "PriceSnapshot")
    columns = "price_id, date, market_price, low_price, high_price, observations"
    schema_editor.execute("ALTER TABLE pricing_pricesnapshot RENAME TO pricing_snapshot_old")
    schema_editor.create_model(snapshot)
    schema_editor.execute(f"INSERT INTO pricing_pricesnapshot ({columns})"  # noqa: S608
                          f" SELECT {columns} FROM pricing_snapshot_old")
    schema_editor.execute("DROP TABLE pricing_snapshot_old")


class Migration(migrations.Migration):

    dependencies = [
        ('pricing', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(
                model_name='pricesnapshot',
                name='pricing_snapshot_day',
            ),
            migrations.RemoveField(
                model_name='pricesnapshot',
                name='id',
            ),
            migrations.AddField(
                model_name='pricesnapshot',
                name='pk',
                field=models.CompositePrimaryKey('price_id', 'date', blank=True, editable=False, primary_key=True, serialize=False),
            ),
            migrations.AlterField(
                model_name='pricesnapshot',
                name='price',
                field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='pricing.price'),
            ),
        ]),
        migrations.RunPython(_rekey, elidable=False),
    ]
