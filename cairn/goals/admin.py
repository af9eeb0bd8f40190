from django.contrib import admin

from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint

for model in (BusinessGoal, ITMission, Interview, PainPoint):
    admin.site.register(model, list_filter=("organization",))
