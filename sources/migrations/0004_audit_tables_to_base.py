"""The audit tables now belong to the base app (conflictdb 0001): gone from this app's state only,
the tables and rows stay; the records' import_batch now points at conflictdb.ImportBatch (same table).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conflictdb', '0001_audit_tables_from_sources'),
        ('sources', '0003_trust_and_data_management'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='importbatch',
                name='rolled_back_by',
            ),
            migrations.RemoveField(
                model_name='importbatch',
                name='user',
            ),
            migrations.AlterField(
                model_name='historicalsource',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='excerpt',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicaldocument',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='sourcealias',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='document',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalsourcealias',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='source',
                name='import_batch',
                field=models.ForeignKey(blank=True, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.AlterField(
                model_name='historicalexcerpt',
                name='import_batch',
                field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The import batch that created or last changed this record.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='conflictdb.importbatch'),
            ),
            migrations.RemoveField(
                model_name='verificationtransition',
                name='content_type',
            ),
            migrations.RemoveField(
                model_name='verificationtransition',
                name='user',
            ),
            migrations.DeleteModel(
                name='GradeChange',
            ),
            migrations.DeleteModel(
                name='ImportBatch',
            ),
            migrations.DeleteModel(
                name='VerificationTransition',
            ),
        ]),
    ]
