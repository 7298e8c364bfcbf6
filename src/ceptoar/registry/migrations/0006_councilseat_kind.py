from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_rules_versions_and_councils"),
    ]

    operations = [
        migrations.AddField(
            model_name="councilseat",
            name="kind",
            field=models.CharField(
                choices=[("member", "Member"), ("observer", "Observer")],
                default="member",
                max_length=20,
                verbose_name="seat",
            ),
        ),
    ]
