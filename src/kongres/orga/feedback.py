"""The feedback survey's results in the back office: a chart of each rating and choice
question (server-rendered SVG from pygal, as the dashboard's: no JavaScript, shown next to a
table of the same numbers) and the exports (CSV, XLSX) of every answer, one row a response,
with no column that could say who answered (there is none to read)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from typing import IO

import pygal
from django.utils.translation import gettext

from kongres.feedback.models import Answer, Question, Survey
from kongres.feedback.selectors import survey_questions, survey_results
from kongres.orga.dashboard import chart_config
from kongres.orga.exports import BOM, csv_cell
from kongres.orga.xlsx import xlsx_write


def feedback_chart_svg(*, survey: Survey, question_id: int) -> str | None:
    """The bar chart of one rating or choice question (None: no such question, or text)."""
    result = next((r for r in survey_results(survey=survey) if r.question.pk == question_id), None)
    if result is None or not result.has_chart:
        return None
    title = result.question.text()
    if result.question.kind == Question.Kind.RATING:
        chart = chart_config(pygal.Bar, title, height=360)
        chart.x_labels = [label for label, _n in result.rows]
        chart.add(gettext("answers"), [count for _label, count in result.rows])
    else:
        chart = chart_config(
            pygal.HorizontalBar, title, height=max(300, 40 * len(result.rows) + 80)
        )
        chart.x_labels = [label for label, _n in reversed(result.rows)]
        chart.add(gettext("answers"), [count for _label, count in reversed(result.rows)])
    return chart.render(is_unicode=True)


def _column_title(question: Question) -> str:
    text = question.text()
    return f"{question.session.title}: {text}" if question.session_id else text


def feedback_rows(*, survey: Survey) -> Iterator[list]:
    """The header (one column a question), then one row a response: a rating as a number,
    choices as their labels joined by "; ", texts as written. Responses in the order of their
    random keys: nothing about when they came."""
    questions = survey_questions(survey=survey)
    yield [gettext("response"), *(_column_title(question) for question in questions)]
    columns = {question.pk: index for index, question in enumerate(questions)}
    labels = {question.pk: dict(question.choice_list()) for question in questions}
    current, row, number = None, None, 0
    answers = (
        Answer.objects.filter(response__survey=survey)
        .order_by("response_id")
        .values_list("response_id", "question_id", "rating", "values", "text")
        .iterator(chunk_size=2000)
    )
    for response_id, question_id, rating, values, text in answers:
        if response_id != current:
            if row is not None:
                yield row
            number += 1
            current, row = response_id, [number, *([""] * len(questions))]
        if rating is not None:
            value: object = rating
        elif text:
            value = text
        else:
            value = "; ".join(labels[question_id].get(str(item), str(item)) for item in values)
        row[1 + columns[question_id]] = value
    if row is not None:
        yield row


class _Echo:
    def write(self, value: str) -> str:
        return value


def feedback_csv(*, survey: Survey) -> Iterator[bytes]:
    """The CSV file (UTF-8 with a byte order mark), no cell a spreadsheet would take for a
    formula (``orga.exports.csv_cell``, the participants' export's own rule)."""
    writer = csv.writer(_Echo())
    yield BOM.encode()
    for row in feedback_rows(survey=survey):
        yield writer.writerow([csv_cell(value) for value in row]).encode()


def feedback_xlsx(*, survey: Survey) -> IO[bytes]:
    rows = feedback_rows(survey=survey)
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the caller closes it)
    xlsx_write(file, title=gettext("Survey"), header=next(rows), rows=rows)
    file.seek(0)
    return file
