"""The records' import_batch points at conflictdb.ImportBatch, the same table as before (state only).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conflictdb', '0001_audit_tables_from_sources'),
        ('events', '0004_external_ids_for_hand_entered_records'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='actor',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='actoralias',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='actormembership',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='attack',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='casualty',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='casualtyfigure',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='claim',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='claimexcerpt',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='displacement',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='displacementplace',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='equipmentloss',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='equipmenttype',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='equipmenttypealias',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='event',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='eventactor',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='eventlocation',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalactor',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalactoralias',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalactormembership',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalattack',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalcasualty',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalcasualtyfigure',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalclaim',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalclaimexcerpt',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicaldisplacement',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicaldisplacementplace',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalequipmentloss',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalequipmenttype',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalequipmenttypealias',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalevent',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicaleventactor',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicaleventlocation',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicallocation',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicallocationalias',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalsourceaffiliation',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalterritorialchange',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='location',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='locationalias',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='sourceaffiliation',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='territorialchange',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
        ]),
    ]
