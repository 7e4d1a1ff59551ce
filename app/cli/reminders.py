"""Timer and notification commands: `flask reminders …` and `flask notifications …`.

Ops and other tools rely on `flask reminders tick --at ISO-DATETIME` (what beat runs, with the
time given) and `flask notifications list --json [--case ID] [--user NAME]`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.cli.common import fail

reminders_cli = AppGroup("reminders", help="Reminder timers.")
notifications_cli = AppGroup("notifications", help="Notifications and their delivery.")

SKIP_REASONS = {
    "outside_office_hours": "非办公时间，未评估提醒规则（办公时间内的定时任务会评估）。",
    "not_working_day": "当天不是工作日，不发提醒。",
    "unknown_calendar_year": "工作日历不认识该年份，未评估。",
}
KIND_NAMES = {
    "due_soon": "临近时限",
    "overdue": "逾期",
    "escalation": "逾期督办",
    "stale": "进展提醒",
    "awaiting_verification": "待核验",
}


def register(app: Flask) -> None:
    """Register the timer and notification commands."""
    app.cli.add_command(reminders_cli)
    app.cli.add_command(notifications_cli)


def _instant(value: str | None) -> dt.datetime:
    """An aware instant from ISO text; a time without offset is office time (Asia/Shanghai)."""
    from app.clock import office_zone

    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"时间格式不正确：{value}（示例：2024-02-06T09:30 或 2024-02-06T09:30+08:00）")
    return moment if moment.tzinfo else moment.replace(tzinfo=office_zone())


@reminders_cli.command("tick")
@click.option("--at", "at", metavar="ISO-DATETIME", help="Evaluate at this instant (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def reminders_tick(at: str | None, as_json: bool) -> None:
    """Evaluate every reminder rule at an instant and record what is due (idempotent)."""
    from app.services.reminders import run_reminders

    result = run_reminders(_instant(at))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_tick(result)
    if result.unknown_years:
        sys.exit(1)


def _print_tick(result) -> None:
    click.echo(f"提醒评估时间：{result.at.isoformat()}（办公地日期 {result.day.isoformat()}）")
    for year, case_ids in sorted(result.unknown_years.items()):
        scope = f"{len(case_ids)} 个事项" if case_ids else "全部事项"
        click.echo(
            f"错误：工作日历不认识 {year} 年，{scope}无法评估。请更新 chinesecalendar 包，"
            f"或在“工作日调整”中录入该年节假日与调休并在“提醒规则”中登记该年份。",
            err=True,
        )
    if not result.evaluated:
        click.echo(SKIP_REASONS.get(result.skipped, "未评估。"))
        return
    kinds = "，".join(
        f"{KIND_NAMES.get(k, k)} {n} 条" for k, n in sorted(result.by_kind.items())
    ) or "无"
    click.echo(
        f"评估 {result.cases} 个未办结事项：应发提醒 {result.due} 条（{kinds}），"
        f"新记录 {result.created} 条，其余此前已记录。"
    )
    if result.missed_working_days:
        click.echo(
            f"上次评估为 {result.previous_day.isoformat()}，其间 {result.missed_working_days} 个"
            "工作日未运行：已补发各规则最近一次应发的提醒，不逐日补发。"
        )


@reminders_cli.command("status")
def reminders_status() -> None:
    """Print the last runs, the backlog and calendar problems."""
    from app.services.reminders import timer_status

    status = timer_status()
    for name, run in sorted(status["runs"].items()):
        click.echo(f"{name}: 上次运行 {run.last_run_at.isoformat()}Z"
                   + (f"，上次评估日 {run.last_day.isoformat()}" if run.last_day else ""))
    deliveries = status["deliveries"]
    click.echo(
        f"待转发事件 {status['pending_events']} 个；投递：待投递 {deliveries.get('pending', 0)}，"
        f"已投递 {deliveries.get('delivered', 0)}，失败 {deliveries.get('failed', 0)}。"
    )
    for problem in status["calendar_problems"]:
        click.echo(f"错误：工作日历不认识 {problem['year']} 年（影响事项 {problem['case_ids']}）", err=True)
    if status["calendar_problems"]:
        sys.exit(1)


@notifications_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of rows).")
@click.option("--case", "case_id", type=int, help="Only this case id.")
@click.option("--user", "username", help="Only this recipient (user name).")
@click.option("--kind", help="Only this kind (due_soon, overdue, escalation, …).")
def notifications_list(as_json: bool, case_id: int | None, username: str | None, kind: str | None):
    """List recorded notifications, oldest first."""
    from app.services.notifications import list_notifications

    rows = list_notifications(case_id=case_id, username=username, kind=kind)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['created_at'][:19]}  {row['day']}  事项{row['case_id']:<5} {row['kind']:<22} "
            f"{row['recipient']:<10} {row['title']}"
        )
    click.echo(f"共 {len(rows)} 条。")


@notifications_cli.command("relay")
def notifications_relay() -> None:
    """Relay pending outbox events now (what the outbox.relay_pending task does)."""
    from app.services.relay import relay_pending

    result = relay_pending()
    click.echo(
        f"已转发事件 {result.relayed} 个，新通知 {result.notifications} 条，失败 {result.failed} 个。"
    )


@notifications_cli.command("deliver")
@click.option("--at", "at", metavar="ISO-DATETIME", help="Act as if it were this instant.")
def notifications_deliver(at: str | None) -> None:
    """Deliver pending email and webhook messages now (what the worker does every minute)."""
    from app.services.delivery import deliver_pending

    result = deliver_pending(_instant(at))
    if result.skipped:
        click.echo(f"未发送：{SKIP_REASONS.get(result.skipped, result.skipped)}")
        return
    click.echo(
        f"已投递 {result.delivered} 条，汇总邮件 {result.digests} 封，待重试 {result.retrying} 条，"
        f"失败 {result.failed} 条。"
    )
    for error in result.errors:
        click.echo(f"  {error}", err=True)
    if current_app.config.get("MAIL_ENABLED") is False:
        click.echo("（邮件未启用：设置 MAIL_SERVER 或 MAIL_ENABLED=1）")
