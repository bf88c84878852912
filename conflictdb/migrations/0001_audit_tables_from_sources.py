"""The audit tables (import batches, verification transitions, grade changes) move from the
sources app to the base, state only: the tables keep their names and rows (db_table), and their
content types are relabelled so the permissions on them — and who holds those — stay as they were.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def relabel_content_types(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    taken = set(types.filter(app_label=new, model__in=MOVED).values_list("model", flat=True))
    types.filter(app_label=old, model__in=set(MOVED) - taken).update(app_label=new)


def to_base(apps, schema_editor):
    relabel_content_types(apps, schema_editor, "sources", "conflictdb")


def back_to_sources(apps, schema_editor):
    relabel_content_types(apps, schema_editor, "conflictdb", "sources")


MOVED = ["importbatch", "verificationtransition", "gradechange"]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('sources', '0003_trust_and_data_management'),  # the tables exist, created by sources
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='ImportBatch',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('file_name', models.CharField(max_length=500)),
                    ('sha256', models.CharField(db_index=True, max_length=64)),
                    ('layout', models.CharField(help_text='The file layout, e.g. claims, ucdp-ged, oryx.', max_length=50)),
                    ('options', models.JSONField(blank=True, default=dict)),
                    ('started_at', models.DateTimeField(auto_now_add=True)),
                    ('finished_at', models.DateTimeField(blank=True, null=True)),
                    ('created_count', models.PositiveIntegerField(default=0)),
                    ('updated_count', models.PositiveIntegerField(default=0)),
                    ('unchanged_count', models.PositiveIntegerField(default=0)),
                    ('refused_count', models.PositiveIntegerField(default=0)),
                    ('status', models.CharField(choices=[('pending', 'Pending'), ('applied', 'Applied'), ('refused', 'Refused'), ('rolled_back', 'Rolled back')], default='pending', max_length=12)),
                    ('error_report', models.JSONField(blank=True, default=list)),
                    ('rolled_back_at', models.DateTimeField(blank=True, null=True)),
                    ('rollback_reason', models.TextField(blank=True)),
                    ('rolled_back_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name_plural': 'import batches',
                    'db_table': 'sources_importbatch',
                    'ordering': ['-started_at'],
                    'permissions': [('import_data', 'Can import data files'), ('export_data', 'Can export data files')],
                },
            ),
            migrations.CreateModel(
                name='GradeChange',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('object_id', models.PositiveBigIntegerField()),
                    ('field', models.CharField(max_length=20)),
                    ('from_value', models.CharField(max_length=2)),
                    ('to_value', models.CharField(max_length=2)),
                    ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('reason', models.TextField()),
                    ('channel', models.CharField(max_length=10)),
                    ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='contenttypes.contenttype')),
                    ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'sources_gradechange',
                    'ordering': ['-at', '-id'],
                    'permissions': [('grade_record', 'Can change source reliability and claim credibility')],
                    'indexes': [models.Index(fields=['content_type', 'object_id'], name='grade_change_record_idx')],
                    'constraints': [models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='grade_change_has_reason', violation_error_message='A change of grade needs a reason.')],
                },
            ),
            migrations.CreateModel(
                name='VerificationTransition',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('object_id', models.PositiveBigIntegerField()),
                    ('from_status', models.CharField(max_length=12)),
                    ('to_status', models.CharField(max_length=12)),
                    ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('reason', models.TextField()),
                    ('channel', models.CharField(max_length=10)),
                    ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='contenttypes.contenttype')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'sources_verificationtransition',
                    'ordering': ['-at', '-id'],
                    'permissions': [('verify_record', 'Can corroborate, verify, mark false and reinstate records'), ('retract_record', 'Can dispute and retract records')],
                    'indexes': [models.Index(fields=['content_type', 'object_id'], name='transition_record_idx')],
                    'constraints': [models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='transition_has_reason', violation_error_message='A verification change needs a reason.')],
                },
            ),
        ]),
        migrations.RunPython(to_base, back_to_sources),
    ]
