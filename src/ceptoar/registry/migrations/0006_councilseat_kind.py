# Numbered 0006 and placed after 0004 for now: another branch of issue 15 adds a 0005; the lead renumbers.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_handlingrules_highest_tlp_shared"),
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
