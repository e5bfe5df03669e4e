"""How staff and auditors ask, as templates: the Chinese (and mixed English) literals of the question generator.

Each key is a *form* (`<op>.<what>`): one way of computing the gold answer from the truth. Its templates are
interchangeable phrasings of that question. Slots:

    {P} {P1} {P2}   a project as people name it, scoped on its own (department added when the name recurs)
    {p} {p1} {p2}   a project name scoped by {D} in the same question, or by the conversation
    {nth}           an ordinal (第二个) picking from the list an earlier turn produced
    {D}             a department (full name, without 广州市, or the agency alone when that is unique)
    {C} / {Ce}      an indicator category in Chinese / English
    {I}             an indicator name          {COL}  a funding column (财政拨款 …)
    {N}             an amount threshold in 万元  {K}    k of a top-k           {kw}  a keyword
    {word}          a description that fits two projects

`evals/questions.py` fills them from the synthetic ground truth and computes each answer.
"""

from __future__ import annotations

PHRASINGS: dict[str, tuple[str, ...]] = {
    # -- lookup ------------------------------------------------------------------------
    "lookup.amount": (
        "{P}的预算是多少", "{P}多少钱", "{P}拨了多少", "{P}花多少钱啊", "问一下{P}的经费有多少", "{P}安排了多少资金",
        "{P}这个项目给了多少钱", "{P}预算多少万", "{P}资金总额是多少", "{P}的钱是多少来着", "帮我查下{P}的金额",
        "{P}要花多少", "{P}经费多少", "{P}批了多少钱", "{P}的资金规模多大", "{P}一年多少经费",
        "{D}的{p}预算多少", "{D}{p}花了多少钱",
    ),
    "lookup.column": (
        "{P}的{COL}是多少", "{P}里{COL}有多少", "{P}{COL}多少钱", "{COL}给{P}安排了多少", "{P}用了多少{COL}",
        "{D}{p}的{COL}金额",
    ),
    "lookup.yuan": (
        "{P}的预算合多少元", "{P}换算成元是多少", "{P}多少元?不要万元", "{P}预算折合成元", "{P}经费按元算是多少",
    ),
    "lookup.goal": (
        "{P}的绩效目标是什么", "{P}是干嘛的", "{P}主要用来做什么", "为啥要搞{P}", "{P}想达到什么效果", "{P}的目标",
        "{P}的钱用来干什么", "{P}年度目标是啥", "{P}要实现什么目标", "{D}的{p}是做什么用的",
    ),
    "lookup.value": (
        "{P}的{I}是多少", "{P}{I}指标值多少", "{P}的{I}定的多少", "{I}在{P}里要求多少", "{P}里{I}要达到多少",
        "{P}{I}的目标值", "{P}的{I}怎么定的", "{P}{I}考核标准是啥", "{D}{p}的“{I}”指标值",
    ),
    "lookup.value_annual": (
        "{P}的{I}年度指标值是多少", "{P}今年{I}要达到多少", "{P}{I}年度值", "{D}{p}的{I}年度目标值多少",
    ),
    "lookup.value_period": (
        "{P}的{I}实施周期指标值是多少", "{P}{I}周期值多少", "{D}{p}的{I}实施周期的值",
    ),
    "lookup.funding": (
        "{P}的资金来源是什么", "{P}的钱从哪来", "{P}是什么资金", "{P}哪里出的钱", "{P}资金构成", "{P}都有哪些资金来源",
        "{D}的{p}钱是哪来的",
    ),
    # -- list ----------------------------------------------------------------------------
    "list.indicators": (
        "{P}有哪些指标", "{P}的绩效指标列一下", "{P}考核点有哪些", "{P}都考核啥", "{P}的指标都有什么",
        "把{P}的指标全列出来", "{P}设了哪些绩效指标", "{P}有啥考核指标", "{P}的指标清单", "{D}{p}的考核点",
    ),
    "list.category": (
        "{P}有哪些{C}", "{P}的{C}是什么", "{P}{C}都有啥", "{P}的{C}列一下", "{P}里面{C}有哪几个", "看下{P}的{C}",
        "{D}{p}的{C}",
    ),
    "list.projects": (
        "{D}有哪些项目", "{D}都有啥项目", "列一下{D}的项目", "{D}项目清单", "{D}的项目都有哪些", "{D}报了哪些项目",
        "{D}名下有什么项目",
    ),
    "list.dept_category": (
        "{D}的{C}都有哪些", "{D}所有项目的{C}列一下", "{D}各项目的{C}", "{D}{C}汇总一下", "{D}的项目都设了哪些{C}",
    ),
    "list.empty_annual": (
        "{D}哪些指标没填年度指标值", "{D}年度值空着的指标有哪些", "{D}有哪些指标年度指标值是空的",
        "{D}年度指标值没填的列一下", "{D}哪些考核点没写年度值",
    ),
    "list.vague": (
        "{D}哪些指标没法量化", "{D}有哪些指标值写得很虚", "{D}哪些指标值不可核验", "{D}指标值没有具体数字的有哪些",
        "{D}哪些考核点是定性描述,没法考核",
    ),
    "list.lacking": (
        "{D}哪些项目没有{C}", "{D}缺{C}的项目有哪些", "{D}哪几个项目没设{C}", "{D}没有设置{C}的项目",
    ),
    "list.over": (
        "{D}预算超过{N}万的项目有哪些", "{D}哪些项目经费在{N}万以上", "{D}多于{N}万元的项目",
    ),
    # -- count -----------------------------------------------------------------------------
    "count.projects": (
        "{D}有几个项目", "{D}一共多少个项目", "{D}项目数是多少", "{D}报了几个项目", "{D}总共几个项目啊",
    ),
    "count.indicators": (
        "{P}有几个指标", "{P}一共几条指标", "{P}设了多少个绩效指标", "{P}考核点有几个", "{P}指标数量", "{D}{p}有多少条指标",
    ),
    "count.category": ("{P}有几个{C}", "{P}的{C}有几条", "{P}{C}多少个"),
    "count.dept_indicators": ("{D}一共多少条指标", "{D}所有项目加起来几个指标", "{D}的指标总数"),
    "count.with_category": ("{D}有几个项目设了{C}", "{D}设置{C}的项目有几个", "{D}多少个项目有{C}"),
    "count.over": ("{D}预算超过{N}万的项目有几个", "{D}经费{N}万以上的项目有多少个"),
    # -- sum ---------------------------------------------------------------------------------
    "sum.dept": (
        "{D}预算一共多少", "{D}所有项目加起来多少钱", "{D}总预算是多少", "{D}合计多少钱", "{D}总共拨了多少",
        "{D}项目经费总额",
    ),
    "sum.pair": (
        "{P1}和{P2}加起来多少钱", "{P1}加{P2}一共多少", "{P1}、{P2}两个项目合计多少", "{P1}跟{P2}总共花多少",
        "{D}的{p1}和{p2}一共多少钱",
    ),
    "sum.column": ("{D}{COL}合计多少", "{D}所有项目{COL}加起来多少", "{D}一共有多少{COL}"),
    "sum.yuan": ("{D}总预算合多少元", "{D}预算合计折合成元是多少"),
    # -- average -------------------------------------------------------------------------------
    "average.amount": (
        "{D}项目平均预算多少", "{D}平均每个项目多少钱", "{D}项目经费的平均值", "{D}一个项目平均花多少", "{D}项目预算均值",
        "算下{D}项目的平均金额", "{D}项目平均下来多少万", "{D}项目平均一个多少钱", "{D}平均预算",
        "{D}每个项目平均拨了多少",
    ),
    "average.count": (
        "{D}平均每个项目几个指标", "{D}项目平均有多少条指标", "{D}每个项目平均设几个考核点", "{D}平均一个项目多少条指标",
        "{D}项目的指标数平均是多少",
    ),
    # -- max / min -------------------------------------------------------------------------------
    "max.amount": (
        "{D}哪个项目预算最多", "{D}最贵的项目是哪个", "{D}钱最多的是哪个项目", "{D}预算最高的项目", "{D}哪个项目花钱最多",
        "{D}经费最大的项目是啥", "{D}里面哪个项目拿钱最多", "{D}金额最大的项目",
    ),
    "max.count": (
        "{D}哪个项目指标最多", "{D}指标数量最多的项目", "{D}考核点最多的是哪个项目", "{D}哪个项目设的指标最多",
    ),
    "max.then_share": (
        "{D}哪个项目最贵,占总预算百分之几", "{D}预算最多的项目占了多大比例", "{D}钱最多的项目是哪个?占比多少",
        "{D}最大的项目占全部预算的百分比",
    ),
    "max.count_then_amount": ("{D}指标最多的项目花了多少钱", "{D}考核点最多的那个项目预算多少"),
    "min.amount": (
        "{D}哪个项目预算最少", "{D}最便宜的项目", "{D}钱最少的项目是哪个", "{D}预算最低的项目", "{D}花钱最少的项目",
        "{D}经费最小的是哪个", "{D}里面哪个项目拿钱最少", "{D}金额最小的项目",
    ),
    "min.count": (
        "{D}哪个项目指标最少", "{D}指标数量最少的项目", "{D}考核点最少的是哪个项目", "{D}哪个项目设的指标最少",
    ),
    "min.then_count": ("{D}预算最少的项目有几个指标", "{D}最便宜的项目设了几条指标", "{D}钱最少的那个项目有多少考核点"),
    # -- sort / top ----------------------------------------------------------------------------
    "sort.amount_desc": (
        "{D}的项目按预算从高到低排一下", "把{D}项目按金额排个序", "{D}项目经费由多到少排列", "{D}的项目按钱多少排序",
        "{D}项目预算排名", "{D}项目按预算降序", "{D}哪个项目钱多哪个少,排一下",
    ),
    "sort.amount_asc": (
        "{D}的项目按预算从低到高排", "{D}项目按经费从少到多排一下", "{D}项目预算升序排列", "把{D}项目从便宜到贵排",
    ),
    "sort.count": (
        "{D}的项目按指标数量排个序", "{D}项目按指标多少从多到少排", "{D}各项目指标数排名", "{D}按考核点数量给项目排个序",
    ),
    "top.amount": (
        "{D}预算前{K}的项目", "{D}最贵的{K}个项目", "{D}钱最多的前{K}个项目是哪些", "{D}预算排前{K}的是哪几个",
        "{D}经费最多的{K}个项目", "{D}预算排名前{K}",
    ),
    "top.amount_asc": ("{D}预算最少的{K}个项目", "{D}最便宜的{K}个项目是哪些", "{D}钱最少的前{K}个"),
    "top.count": ("{D}指标最多的{K}个项目", "{D}指标数前{K}的项目", "{D}考核点最多的前{K}个项目"),
    "top.then_sum": ("{D}预算前{K}的项目加起来多少", "{D}最贵的{K}个项目一共多少钱", "{D}前{K}大的项目合计多少"),
    # -- share / difference / ratio -------------------------------------------------------------
    "share.dept": (
        "{P}占{D}总预算的百分之几", "{p}占{D}部门预算比例多少", "{p}在{D}里占了多大比重", "{D}的钱有百分之多少给了{p}",
        "{D}{p}占比多少", "{p}占{D}全部项目预算的比例", "{p}的钱占{D}总额多少", "{D}总预算里{p}占几个百分点",
        "{p}占{D}预算的百分比是多少", "{D}预算中{p}的份额",
    ),
    "share.column": (
        "{P}里{COL}占多少比例", "{P}的{COL}占总额百分之几", "{COL}在{P}中占比", "{P}总预算里{COL}占百分之多少",
        "{D}{p}的{COL}占比",
    ),
    "difference.amount": (
        "{P1}比{P2}多多少", "{P1}和{P2}差多少钱", "{P1}跟{P2}相差多少", "{P2}比{P1}少多少", "{P1}的预算比{P2}高出多少",
        "{P1}、{P2}预算差额", "{P1}减{P2}是多少", "{D}的{p1}比{p2}多多少钱", "{D}{p1}和{p2}预算差多少",
        "{P1}比{P2}贵多少", "{P2}比{P1}便宜多少", "{P1}与{P2}的预算相差几万",
    ),
    "difference.count": (
        "{P1}比{P2}多几个指标", "{P1}和{P2}指标数差几个", "{D}{p1}比{p2}多几条指标", "{P2}比{P1}少几个考核点",
    ),
    "ratio.amount": (
        "{P1}是{P2}的几倍", "{P1}的预算是{P2}的多少倍", "{P1}相当于{P2}的几倍", "{P1}和{P2}的预算之比",
        "{P1}除以{P2}是多少", "{D}{p1}预算是{p2}的几倍", "{P1}钱是{P2}的几倍啊", "{P1}的经费大概是{P2}几倍",
    ),
    "ratio.percent": (
        "{P2}的预算是{P1}的百分之多少", "{P2}相当于{P1}的百分之几", "{D}{p2}的钱是{p1}的百分之几",
        "{P2}只有{P1}的百分之多少",
    ),
    # -- yes/no ----------------------------------------------------------------------------------
    "all_have.category": (
        "{D}的项目都有{C}吗", "{D}是不是每个项目都设了{C}", "{D}所有项目都有{C}没", "{D}每个项目都有{C}吗",
        "{D}的项目是否都设置了{C}", "{D}的{C}是不是每个项目都有", "{D}项目全都有{C}吗", "{D}有没有哪个项目没设{C}",
        "{D}所有项目是否都设了{C}", "{D}项目是不是都有{C}", "{D}各项目是不是都设了{C}", "{D}是不是所有项目都设置了{C}",
        "{C}{D}每个项目都设了吗",
    ),
    "exists.category": (
        "{P}有没有{C}", "{P}设了{C}没", "{P}有{C}吗", "{P}是否设置了{C}", "{P}里面有没有{C}方面的考核",
        "{P}包不包括{C}", "{D}{p}有没有设{C}", "{P}有没有设置{C}啊", "{P}是不是有{C}", "{P}有{C}这一项吗",
    ),
    "exists.indicator": ("{P}有没有{I}这个指标", "{P}考核{I}吗", "{P}有没有设“{I}”", "{D}{p}里有{I}吗"),
    # -- reverse / search -----------------------------------------------------------------------
    "reverse.indicator": (
        "{D}的“{I}”是哪个项目的", "{I}这个指标是{D}哪个项目里的", "{D}哪个项目有{I}这个考核点", "{I}出自{D}哪个项目",
        "{D}里{I}属于哪个项目", "{D}设了{I}的是哪个项目", "{D}“{I}”是谁的指标", "{D}的{I}在哪个项目里",
        "{D}哪个项目考核{I}", "{D}“{I}”对应哪个项目", "{I}是{D}哪个项目的指标", "{D}哪个项目把{I}当考核点",
        "查一下{D}的{I}属于哪个项目", "{D}有{I}这个指标的项目是哪个",
    ),
    "search.indicators": (
        "{D}跟{kw}有关的指标有哪些", "{D}有啥关于{kw}的考核点", "{D}的指标里提到{kw}的有哪些", "搜一下{D}含“{kw}”的指标",
        "{D}关于{kw}的指标", "{D}有没有{kw}相关的指标", "{D}哪些指标跟{kw}有关", "{D}涉及{kw}的考核点",
    ),
    "search.projects": (
        "{D}有没有跟{kw}有关的项目", "{D}关于{kw}的项目是哪个", "{D}{kw}方面的项目有哪些", "{D}管{kw}的是哪个项目",
        "{D}做{kw}的项目", "{D}涉及{kw}的项目",
    ),
    # -- off topic ------------------------------------------------------------------------------
    "refuse.offtopic": (
        "明天天气怎么样", "你是谁", "讲个笑话", "帮我订个会议室", "今天星期几", "推荐几本书", "附近有什么好吃的",
        "股票会涨吗", "帮我写一首诗", "中午吃啥", "怎么煮饺子", "世界杯谁夺冠了", "你喜欢什么颜色", "给我讲讲量子力学",
        "帮我翻译一下hello", "最近有什么好看的电影", "怎么减肥", "你好呀,在吗", "帮我查下快递",
    ),
    "refuse.outside": (
        "北京市朝阳区教育局的预算是多少", "上海市财政局有哪些项目", "深圳市南山区民政局有几个项目",
        "杭州市卫生健康委的满意度指标", "成都市交通运输局预算最多的项目",
    ),
    # -- described / unknown ---------------------------------------------------------------------
    "lookup.unknown": ("{D}的{p}预算是多少", "{D}{p}花了多少钱", "{p}({D})经费多少"),
    "list.unknown": ("{D}{p}有哪些指标", "{D}的{p}考核点有哪些"),
    "lookup.ambiguous": ("{p}预算是多少", "{p}花了多少钱", "{p}拨了多少", "问下{p}的预算"),
    "list.ambiguous": ("{p}有哪些指标", "{p}的满意度指标是什么"),
    "lookup.described": ("{D}{word}那个项目预算多少", "{D}跟{word}有关的那个项目花多少钱", "{D}管{word}的项目拨了多少"),
}

ENGLISH: dict[str, tuple[str, ...]] = {
    "lookup.amount": ("what is the budget of {P}", "{P} budget?", "how much funding does {P} get", "{P}的budget是多少",
                      "amount of {P}"),
    "lookup.goal": ("what's the goal of {P}", "{P} performance goal"),
    "lookup.funding": ("{P} funding source", "where does the funding of {P} come from"),
    "list.indicators": ("list the indicators of {P}", "{P} indicators list"),
    "list.category": ("{P} {Ce} indicators", "what {Ce} indicators does {P} have", "list {Ce} indicators of {P}"),
    "list.projects": ("list all projects of {D}", "{D} project list", "which projects does department {D} have"),
    "list.dept_category": ("list the {Ce} indicators of all projects in {D}",),
    "count.projects": ("how many projects does {D} have", "{D}有多少个project"),
    "count.indicators": ("how many indicators does {P} have", "{P} indicator count"),
    "count.category": ("how many {Ce} indicators does {P} have",),
    "sum.dept": ("total budget of {D}", "what is the total amount of {D}", "{D} total funding"),
    "sum.pair": ("{P1} and {P2} total budget", "total amount of {P1} and {P2}"),
    "average.amount": ("average budget of {D} projects", "{D} average amount per project"),
    "average.count": ("average number of indicators per project in {D}",),
    "max.amount": ("which project of {D} has the largest budget", "{D} highest budget project"),
    "max.count": ("which {D} project has the most indicators",),
    "min.amount": ("which project in {D} has the smallest budget", "{D} lowest budget project"),
    "min.count": ("which {D} project has the fewest indicators",),
    "sort.amount_desc": ("sort {D} projects by budget, high to low", "rank {D} projects by amount"),
    "sort.amount_asc": ("sort {D} projects by budget from low to high",),
    "sort.count": ("rank {D} projects by number of indicators",),
    "top.amount": ("top {K} projects of {D} by budget", "{D} top {K} by amount"),
    "top.count": ("top {K} projects in {D} by indicator count",),
    "share.dept": ("what share of the total budget of {D} is {p}", "{p} percent of {D} total budget",
                   "{D}: {p} share of total"),
    "difference.amount": ("how much more is {P1} than {P2}", "difference between {P1} and {P2} budget",
                          "budget difference {P1} vs {P2}"),
    "difference.count": ("how many more indicators does {P1} have than {P2}",),
    "ratio.amount": ("ratio of {P1} to {P2} budget", "how many times is {P1} of {P2}",
                     "{P1} budget divided by {P2} budget"),
    "all_have.category": ("do all {D} projects have {Ce} indicators", "does every project in {D} have a {Ce} indicator",
                          "{D} projects without {Ce} indicators?"),
    "exists.category": ("does {P} have a {Ce} indicator", "any {Ce} indicators in {P}?", "{P} has {Ce} indicator?"),
    "reverse.indicator": ("which project in {D} has the indicator {I}", "{I} belongs to which project of {D}"),
    "search.indicators": ("{D} indicators about {kw}", "list {D} indicators related to {kw}"),
    "search.projects": ("which {D} projects are about {kw}",),
    "refuse.offtopic": ("what's the weather tomorrow", "who are you", "tell me a joke", "how do I cook rice",
                        "recommend a movie"),
}

# Follow-ups: (earlier turns, the question). Slots as above; the earlier turns set the context.
FOLLOWUPS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "lookup.swap_project": (
        (("{P1}的预算是多少",), "那{p2}呢"), (("{P1}多少钱",), "{p2}呢"), (("{P1}拨了多少",), "换成{p2}呢"),
        (("{P1}经费多少",), "那{p2}的呢"), (("{P1}预算多少",), "那{p2}又是多少"), (("{P1}花多少钱",), "{p2}那个呢"),
    ),
    "lookup.pronoun_amount": (
        (("{P}的绩效目标是什么",), "它预算多少"), (("{P}有哪些指标",), "这个项目花多少钱"),
        (("{P}是干嘛的",), "那它拨了多少钱"), (("{P}有几个指标",), "该项目经费多少"),
    ),
    "lookup.ordinal": (
        (("{D}的项目按预算从高到低排一下",), "{nth}预算多少"), (("{D}项目经费由多到少排列",), "{nth}花了多少"),
        (("把{D}项目按金额排个序",), "{nth}多少钱"),
    ),
    "list.swap_category": (
        (("{P}有哪些{C1}",), "那{C}呢"), (("{P}的{C1}是什么",), "{C}呢"), (("{P}{C1}都有啥",), "它的{C}呢"),
        (("{P}的{C1}列一下",), "那{C}有哪些"), (("{P}有哪些{C1}",), "这个项目{C}方面呢"),
    ),
    "list.ordinal_category": (
        (("{D}的项目按预算从高到低排一下",), "{nth}的{C}是什么"), (("{D}项目按预算降序",), "{nth}有哪些{C}"),
    ),
    "count.pronoun": (
        (("{P}的预算是多少",), "它有几个指标"), (("{P}是干嘛的",), "这个项目设了几条指标"),
        (("{P}的资金来源是什么",), "那它有多少考核点"),
    ),
    "count.after_extreme": (
        (("{D}哪个项目预算最多",), "它有几个指标"), (("{D}最贵的项目是哪个",), "那它设了几条指标"),
        (("{D}钱最多的是哪个项目",), "这个项目有多少考核点"),
    ),
    "share.after_extreme": (
        (("{D}哪个项目最贵",), "它占总预算多少"), (("{D}预算最高的项目",), "占比多少"),
        (("{D}钱最多的是哪个项目",), "那它占全部门百分之几"), (("{D}有哪些项目", "哪个预算最多"), "它占多少比例"),
    ),
    "sum.after_list": (
        (("{D}预算超过{N}万的项目有哪些",), "这几个一共多少钱"), (("{D}哪些项目经费在{N}万以上",), "它们加起来多少"),
        (("{D}多于{N}万元的项目",), "上面那些合计多少"), (("{D}预算超过{N}万的项目有哪些",), "这些项目总共多少预算"),
    ),
    "sum.after_lacking": (
        (("{D}哪些项目没有{C}",), "这几个一共多少钱"), (("{D}缺{C}的项目有哪些",), "它们预算加起来多少"),
    ),
    "max.after_over": (
        (("{D}预算超过{N}万的项目有哪些",), "这几个里面哪个最贵"), (("{D}哪些项目经费在{N}万以上",), "它们中预算最多的是哪个"),
    ),
    "min.after_over": (
        (("{D}预算超过{N}万的项目有哪些",), "这几个里哪个最便宜"), (("{D}多于{N}万元的项目",), "上面那些预算最少的是哪个"),
    ),
    "max.after_projects": ((("{D}有哪些项目",), "哪个预算最多"), (("列一下{D}的项目",), "里面最贵的是哪个")),
    "exists.pronoun": (
        (("{P}有哪些产出指标",), "它有没有{C}"), (("{P}的预算是多少",), "这个项目有{C}吗"),
        (("{P}是干嘛的",), "那它设了{C}没"),
    ),
    "refuse.after_topic": (
        (("{P}的预算是多少",), "你是谁"), (("{P}有哪些指标",), "明天天气怎么样"), (("{D}有几个项目",), "讲个笑话"),
        (("{P}的绩效目标是什么",), "中午吃啥"), (("{P}多少钱",), "帮我写一首诗"), (("{D}有哪些项目",), "今天星期几"),
    ),
}

# How people say a category (by code): Chinese forms and English words.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "1": ("产出指标", "产出类指标", "产出方面的指标", "产出类考核点"),
    "2": ("效益指标", "效益类指标", "效益方面的指标"),
    "3": ("满意度指标", "满意度", "满意度方面的指标", "满意度考核点"),
    "11": ("数量指标", "数量类指标", "数量方面的指标"),
    "12": ("质量指标", "质量类指标", "质量方面的指标"),
    "13": ("时效指标", "时效类指标", "时效方面的考核点"),
    "14": ("成本指标", "成本类指标"),
    "21": ("经济效益指标", "经济效益"),
    "22": ("社会效益指标", "社会效益"),
    "23": ("生态效益指标", "生态效益"),
    "24": ("可持续影响指标", "可持续影响"),
}
CATEGORY_ENGLISH: dict[str, str] = {
    "1": "output", "2": "benefit", "3": "satisfaction", "11": "quantity", "12": "quality", "13": "timeliness",
    "14": "cost", "21": "economic benefit", "22": "social benefit", "23": "ecological benefit", "24": "sustainability",
}
COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "fiscal": ("财政拨款", "财政拨的钱"),
    "special": ("财政专户拨款", "财政专户的钱"),
    "other": ("其他资金",),
}
# How an answer names a funding column (the table's own labels; a funding answer must carry them).
COLUMN_LABELS = {"fiscal": "财政拨款", "special": "财政专户", "other": "其他资金"}
# Projects no table has (unknown-name questions).
UNKNOWN_TOPICS = ("无人机巡查", "智慧停车", "海绵城市建设", "老旧小区改造", "夜间经济促进", "电动自行车治理",
                  "露营地管理", "数字人民币推广", "元宇宙体验馆", "低空经济试点")
UNKNOWN_SUFFIXES = ("专项经费", "工作经费", "补贴")
CHINESE_NUMERALS = {2: "两", 3: "三", 4: "四", 5: "五"}
ORDINAL_WORDS = {2: ("第二个", "第2个"), 3: ("第三个", "第3个")}
